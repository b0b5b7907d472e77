import { createHash } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { spawnServer, type ChildServer } from './child-server.js'
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions, type FakePull } from './fake-github/index.js'
import { git } from './git-cli.js'
import { exampleInfraFiles } from './server.js'
import { FALLBACK, SECRET_A, signedHeaders } from './sign.js'
import { eventually, tmpDir } from './tmp.js'

/**
 * Pull-request mode end to end: the real binary (node dist/cli.js serve)
 * against the fake GitHub, which serves the infra repo over real smart HTTP
 * (git http-backend) and checks every API call against GitHub's published
 * description.
 */
export const GH_TOKEN = 'ghp_pullRequestE2eToken0123456789abcdef'
export const GH_HOOK_SECRET = 'infra-repo-hook-secret-0123456789abcdef'
export const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'
export const PROD = 'services/orders-api/overlays/prod/kustomization.yaml'
export const PROD_BRANCH = 'infra-sync/orders-api/prod'

interface TestLike {
  teardown(fn: () => unknown): void
}

export interface PullRequestView {
  readonly number: number
  readonly url: string
  readonly state: 'open' | 'closed' | 'merged'
}

export interface TargetView {
  readonly service: string
  readonly environment: string
  readonly from?: string
  readonly to?: string
  readonly status?: string
  readonly decision: string
  readonly code: string
  readonly reason: string
  readonly update?: string
  readonly pullRequest?: PullRequestView
}

export interface EventView {
  readonly id: string
  readonly status: string
  readonly code?: string
  readonly reason?: string
  readonly commit?: string
  readonly pullRequest?: PullRequestView
  readonly targets: readonly TargetView[]
}

/** orders-api as the contract describes it: dev by commit, prod by pull request; `prod` adds keys to prod's entry. */
export function ordersConfig(opts: { prod?: string; dev?: boolean } = {}): string {
  const prod = `{ path: overlays/prod, update: pull-request${opts.prod ? `, ${opts.prod}` : ''} }`
  return [
    'source: acme/orders-api',
    'image: ghcr.io/acme/orders-api',
    'policy: semver',
    'environments:',
    ...(opts.dev === false ? [] : ['  dev: { path: overlays/dev }']),
    `  prod: ${prod}`,
    '',
  ].join('\n')
}

/** The example infra repo (orders-api at 1.4.1 in dev and prod) with orders-api configured by `config`. */
export function prInfraFiles(config = ordersConfig()): Record<string, string> {
  return { ...exampleInfraFiles(), 'services/orders-api/infra-sync.yaml': config }
}

/** A source commit per tag, so each build's reports land on a commit of their own. */
export const sourceCommit = (tag: string) => createHash('sha1').update(`acme/orders-api@${tag}`).digest('hex')

/** A URL where nothing listens: a webhook sent there is lost. */
export async function deadUrl(): Promise<string> {
  const s = http.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return `http://127.0.0.1:${port}/v1/webhooks/github`
}

export interface RigOptions {
  readonly files?: Record<string, string>
  readonly fake?: Omit<FakeGitHubOptions, 'files' | 'token'>
  readonly env?: Record<string, string>
  /** The server's config file, beside worker and sources; `sources` replaces the default (orders-api reporting statuses). */
  readonly sources?: Record<string, object>
  readonly worker?: Record<string, number>
  /** More of the server's config file (e.g. githubPacing). */
  readonly config?: Record<string, unknown>
}

export interface PrRig {
  readonly gh: FakeGitHub
  readonly bare: string
  readonly server: ChildServer
  readonly env: Record<string, string>
  /** Posts a build of orders-api (or `source`'s image), signed; asserts the 202; returns the event id. */
  post(tag: string, opts?: { source?: string; secret?: string }): Promise<string>
  event(id: string): Promise<EventView>
  /** Waits until the event reads one of `statuses`; fails (with what it read last) after `timeoutMs`. */
  until(id: string, statuses: readonly string[], timeoutMs?: number): Promise<EventView>
  /** Starts the server again (after a kill), with `env` over the first start's, and points the webhook at it. */
  restart(env?: Record<string, string>): Promise<ChildServer>
  /** The sha a ref of the infra repo points at. */
  tip(ref: string): string
  /** Every pull request (any state) whose head is `branch`, oldest first. */
  pullsFor(branch: string): FakePull[]
  /** The newest commit status a source commit got for `context`. */
  lastStatus(sha: string, context: string): string | undefined
}

export const targetOf = (e: EventView, environment: string): TargetView => {
  const found = e.targets.find((x) => x.environment === environment)
  if (!found) throw new Error(`event ${e.id} has no target for ${environment}: ${JSON.stringify(e.targets)}`)
  return found
}

/** The fake GitHub and the server, configured for pull requests with a token (a PAT). */
export async function startPrRig(t: TestLike, opts: RigOptions = {}): Promise<PrRig> {
  const dir = tmpDir(t, 'infra-sync-pr-')
  const gh = await startFakeGitHub({ ...opts.fake, files: opts.files ?? prInfraFiles(), token: GH_TOKEN })
  t.teardown(() => gh.stop())
  const config = {
    worker: { prPollMs: 1000, pollMs: 50, retryBaseMs: 50, retryCapMs: 500, ...opts.worker },
    sources: opts.sources ?? { 'acme/orders-api': { secret: SECRET_A, report: 'status' } },
    ...opts.config,
  }
  const configFile = path.join(dir, 'infra-sync.config.yaml')
  // JSON is YAML.
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2))
  const env: Record<string, string> = {
    INFRA_SYNC_REPO: gh.gitUrl,
    INFRA_SYNC_FORGE: 'github',
    INFRA_SYNC_GITHUB_API_URL: gh.apiUrl,
    INFRA_SYNC_GIT_TOKEN: GH_TOKEN,
    INFRA_SYNC_GITHUB_SECRET: GH_HOOK_SECRET,
    INFRA_SYNC_SECRET: FALLBACK,
    INFRA_SYNC_DATA: path.join(dir, 'data'),
    INFRA_SYNC_CONFIG: configFile,
    ...opts.env,
  }
  let server = await spawnServer(dir, env)
  t.teardown(() => server.proc.kill('SIGKILL'))
  gh.setWebhook(`${server.url}/v1/webhooks/github`, GH_HOOK_SECRET)

  const event = async (id: string) => (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as EventView
  const rig: PrRig = {
    gh,
    bare: gh.bareRepo,
    get server() {
      return server
    },
    env,
    async post(tag, o = {}) {
      const source = o.source ?? 'acme/orders-api'
      const body = JSON.stringify({ source, image: `ghcr.io/${source}`, tag, ref: 'refs/heads/main', commit: sourceCommit(`${source}:${tag}`), buildUrl: `https://ci.example/runs/${tag}` })
      const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(o.secret ?? (source === 'acme/orders-api' ? SECRET_A : FALLBACK), body), body })
      const json = (await res.json()) as { id: string }
      if (res.status !== 202) throw new Error(`POST ${tag} answered ${res.status}: ${JSON.stringify(json)}`)
      return json.id
    },
    event,
    async until(id, statuses, timeoutMs = 30_000) {
      let last: EventView | undefined
      try {
        return await eventually(async () => {
          last = await event(id)
          return statuses.includes(last.status) ? last : undefined
        }, timeoutMs, `event ${id} to be ${statuses.join(' or ')}`)
      } catch (err) {
        throw new Error(`${(err as Error).message}; it read ${JSON.stringify(last)}`)
      }
    },
    async restart(more = {}) {
      server = await spawnServer(dir, { ...env, ...more })
      gh.setWebhook(`${server.url}/v1/webhooks/github`, GH_HOOK_SECRET)
      return server
    },
    tip: (ref) => git(gh.bareRepo, 'rev-parse', '--verify', `${ref}^{commit}`).trim(),
    pullsFor: (branch) => [...gh.pulls.values()].filter((p) => p.head === branch).sort((a, b) => a.number - b.number),
    lastStatus: (sha, context) => gh.statuses.filter((s) => s.sha === sha && s.context === context).at(-1)?.state,
  }
  return rig
}

/** The source commit `rig.post` gives a build of `tag` by `source`. */
export const commitOf = (tag: string, source = 'acme/orders-api') => sourceCommit(`${source}:${tag}`)

interface AssertLike {
  same(found: unknown, wanted: unknown, message: string): unknown
  notOk(found: unknown, message: string): unknown
}

/** What every test ends with: GitHub's API was spoken as described, and no credential reached the log. */
export function checkClean(t: AssertLike, rig: PrRig): void {
  t.same(rig.gh.violations, [], 'every request and answer matched the API description')
  t.notOk(rig.server.output().includes(GH_TOKEN), 'the token never reached the log')
  t.notOk(rig.server.output().includes(GH_HOOK_SECRET), 'the hook secret never reached the log')
  git(rig.bare, 'fsck', '--strict')
}
