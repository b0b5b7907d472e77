import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { spawnServer, type ChildServer } from '../test/helpers/child-server.js'
import { startFakeGitHub, type FakeGitHub } from '../test/helpers/fake-github/index.js'
import { eventBody, SECRET, sign } from './harness.js'
import { median, ms, percentile } from './stats.js'

/**
 * Pull-request mode: what one deploy costs in time and in GitHub API calls,
 * for the two things a build does to a pull-request environment: open its PR
 * (the first build) and update the open PR (a newer build). The real binary
 * against the fake GitHub (git http-backend for the branch push, an API that
 * checks every call against GitHub's description). Calls are counted by the
 * fake, and by infra-sync itself where its /metrics says.
 */
const TOKEN = 'ghp_benchPullRequests0123456789abcdef'
const HOOK_SECRET = 'bench-infra-hook-secret-0123456789abcdef'

const name = (i: number) => `svc-${String(i).padStart(5, '0')}`
const image = (i: number) => `ghcr.io/acme/${name(i)}`

function files(services: number): Record<string, string> {
  const out: Record<string, string> = { 'README.md': 'infra\n' }
  for (let i = 0; i < services; i++) {
    out[`services/${name(i)}/infra-sync.yaml`] = `source: acme/${name(i)}\nimage: ${image(i)}\npolicy: semver\nenvironments:\n  prod: { path: overlays/prod, update: pull-request }\n`
    out[`services/${name(i)}/base/kustomization.yaml`] = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n'
    out[`services/${name(i)}/base/deployment.yaml`] = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name(i)}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${image(i)}\n`
    out[`services/${name(i)}/overlays/prod/kustomization.yaml`] = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n  - name: ${image(i)}\n    newTag: 1.0.0\n`
  }
  return out
}

export interface PullRequestDeploys {
  readonly n: number
  /** POST → the event reads proposed (branch pushed, PR opened or updated, recorded). */
  readonly p50: number
  readonly p99: number
  /** API requests the fake received per deploy. */
  readonly callsP50: number
  readonly callsMax: number
  /** The same as infra-sync counts them (its /metrics), NaN where it does not say. */
  readonly forgeCallsP50: number
  /** The calls of the most common sequence, e.g. `GET pulls, POST pulls`. */
  readonly sequence: string
}

export interface PullRequestsResult {
  readonly services: number
  readonly open: PullRequestDeploys
  readonly update: PullRequestDeploys
  readonly violations: number
}

/** Sum of infra-sync's own count of forge requests, from /metrics; NaN when it exposes none. */
async function forgeCount(server: ChildServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  let n = NaN
  for (const m of text.matchAll(/^infra_sync_forge_(?:api_)?requests_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)/gm)) n = (Number.isNaN(n) ? 0 : n) + Number(m[1])
  return n
}

/** `GET /api/v3/repos/acme/infra/pulls/7` → `GET pulls/{n}`: the shape of a call, for the sequence column. */
const shape = (r: { method: string; path: string }) =>
  `${r.method} ${r.path
    .replace(/^\/api\/v3/, '')
    .replace(/\?.*$/, '')
    .replace(/^\/repos\/[^/]+\/[^/]+\//, '')
    .replace(/\/\d+/g, '/{n}')
    .replace(/\/[0-9a-f]{40}/g, '/{sha}')}`

async function settle(gh: FakeGitHub, quietMs = 150): Promise<void> {
  // Calls a deploy makes after its event reads proposed (labels, reports) belong to it too.
  for (let seen = -1; seen !== gh.requests.length; ) {
    seen = gh.requests.length
    await new Promise((r) => setTimeout(r, quietMs))
  }
}

async function deploy(server: ChildServer, gh: FakeGitHub, i: number, tag: string): Promise<{ ms: number; calls: number; forge: number; sequence: string }> {
  const fromCalls = gh.requests.length
  const fromForge = await forgeCount(server)
  const body = eventBody(name(i), image(i), tag)
  const t0 = performance.now()
  const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { ...sign(body, `pr-${i}-${tag}`), 'infra-sync-source': `acme/${name(i)}` }, body })
  if (res.status !== 202) throw new Error(`POST answered ${res.status}`)
  const { id } = (await res.json()) as { id: string }
  for (;;) {
    const s = (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as { status: string; code?: string }
    if (s.status === 'proposed') break
    if (s.status !== 'queued' && s.status !== 'failed') throw new Error(`event ${id} ${s.status} ${s.code ?? ''}`)
    if (performance.now() - t0 > 60_000) throw new Error(`event ${id} still ${s.status}`)
    await new Promise((r) => setTimeout(r, 5))
  }
  const elapsed = performance.now() - t0
  await settle(gh)
  const calls = gh.requests.slice(fromCalls)
  return { ms: elapsed, calls: calls.length, forge: (await forgeCount(server)) - fromForge, sequence: calls.map(shape).join(', ') }
}

function summarise(runs: { ms: number; calls: number; forge: number; sequence: string }[]): PullRequestDeploys {
  const counts = new Map<string, number>()
  for (const r of runs) counts.set(r.sequence, (counts.get(r.sequence) ?? 0) + 1)
  const sequence = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ''
  const forge = runs.map((r) => r.forge).filter((f) => !Number.isNaN(f))
  return {
    n: runs.length,
    p50: median(runs.map((r) => r.ms)),
    p99: percentile(runs.map((r) => r.ms), 99),
    callsP50: median(runs.map((r) => r.calls)),
    callsMax: Math.max(...runs.map((r) => r.calls)),
    forgeCallsP50: forge.length === runs.length ? median(forge) : NaN,
    sequence,
  }
}

/** `deploys` services each get a first build (opens its PR) and then a newer one (updates it), one at a time. */
export async function pullRequests(dataDir: string, services: number, deploys: number, opts: { quick?: boolean } = {}): Promise<PullRequestsResult> {
  fs.mkdirSync(dataDir, { recursive: true })
  const gh = await startFakeGitHub({ files: files(services), token: TOKEN })
  let server: ChildServer | undefined
  try {
    const configFile = path.join(dataDir, 'infra-sync.config.yaml')
    // No poll during the measurement (it would add calls to whichever deploy it fell in), and no reports to source repos: the PR's own calls only.
    // Quick mode (the test that keeps the bench from rotting) shortens GitHub's write spacing: its figures are not read.
    fs.writeFileSync(configFile, JSON.stringify({ worker: { prPollMs: 3_600_000 }, ...(opts.quick && { githubPacing: { writeMs: 50, notificationMs: 150 } }) }))
    server = await spawnServer(dataDir, {
      INFRA_SYNC_REPO: gh.gitUrl,
      INFRA_SYNC_FORGE: 'github',
      INFRA_SYNC_GITHUB_API_URL: gh.apiUrl,
      INFRA_SYNC_GIT_TOKEN: TOKEN,
      INFRA_SYNC_GITHUB_SECRET: HOOK_SECRET,
      INFRA_SYNC_SECRET: SECRET,
      INFRA_SYNC_DATA: path.join(dataDir, 'data'),
      INFRA_SYNC_CONFIG: configFile,
      LOG_LEVEL: 'info',
    })
    gh.setWebhook(`${server.url}/v1/webhooks/github`, HOOK_SECRET)
    // Warm: clone, index, the first calls' code paths.
    await deploy(server, gh, 0, '1.0.1')
    await deploy(server, gh, 0, '1.0.2')
    const opened = []
    const updated = []
    // Each deploy on a service of its own: its first build opens, the next updates.
    for (let i = 1; i <= Math.min(deploys, services - 1); i++) {
      opened.push(await deploy(server, gh, i, '1.0.1'))
      updated.push(await deploy(server, gh, i, '1.0.2'))
    }
    return { services, open: summarise(opened), update: summarise(updated), violations: gh.violations.length }
  } finally {
    await server?.stop()
    await gh.stop()
  }
}

const count = (n: number) => (Number.isFinite(n) ? String(n) : 'n/a')

/** The section of results.md; also printed alone by `npm run bench -- --only pull-requests`. */
export function pullRequestsSection(r: PullRequestsResult): string {
  const row = (what: string, d: PullRequestDeploys) =>
    `| ${what} | ${d.n} | ${ms(d.p50)} | ${ms(d.p99)} | ${count(d.callsP50)} (max ${count(d.callsMax)}) | ${count(d.forgeCallsP50)} | ${d.sequence || '—'} | ${d.callsP50 <= 3 ? 'met' : '**missed**'} |`
  return [
    '## Pull requests',
    '',
    `A generated infra repo of ${r.services.toLocaleString('en')} services whose one environment is updated by pull request, on the fake GitHub (the branch pushed over real smart HTTP, every API call checked against GitHub's description: ${r.violations === 0 ? 'no violations' : `**${r.violations} violations**`}). One deploy at a time: a service's first build opens its PR, then a newer build updates it. Time is from the POST to the event reading \`proposed\`; calls are the API requests the fake received for the deploy (none for reports: no source is configured to get them), and infra-sync's own count where its \`/metrics\` gives one. The target is at most 3 REST calls beside the branch push. Times include the client's pacing, GitHub's guidance as octokit keeps it (1 s between writes, 3 s between writes that notify people, such as opening a PR): deploys one after another, as here, wait for it, and an open is mostly that wait.`,
    '',
    '| deploy | deploys | p50 | p99 | API calls p50 | infra-sync\'s count p50 | the calls | ≤ 3 REST calls |',
    '|---|---|---|---|---|---|---|---|',
    row('open a PR (first build)', r.open),
    row('update the open PR (newer build)', r.update),
  ].join('\n')
}
