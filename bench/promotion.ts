/**
 * Promotion latency on a real `serve` with the fake Argo CD: from the moment
 * a promotion may go out (dev Healthy for healthyFor at the deploy) to prod's
 * commit. Three ways, side by side in one run, each with its own server:
 * polling alone with healthyFor 2s (the case: within 30 s of
 * healthyFor having passed); healthyFor 0 with polling alone; healthyFor 0
 * with the Argo CD notification hint (POST /v1/webhooks/argocd) sent when
 * Argo CD turns Healthy.
 */
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { spawnServer } from '../test/helpers/child-server.js'
import { startFakeArgoCd } from '../test/helpers/fake-argocd.js'
import { makeBareRepo } from '../test/helpers/git-cli.js'
import { FALLBACK, signedHeaders } from '../test/helpers/sign.js'
import { median, ms, percentile } from './stats.js'

export interface PromotionSize {
  readonly rounds: number
}

interface Way {
  readonly name: string
  readonly healthyForS: number
  readonly hint: boolean
  readonly lagMs: number[]
}

const HOOK_TOKEN = 'bench-argocd-hook-token-0123456789abcdef'
const kustomization = (tag: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nimages:\n  - name: ghcr.io/acme/orders-api\n    newTag: ${tag}\n`
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec))

async function until<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

async function measure(work: string, way: Way, rounds: number, log: (s: string) => void): Promise<void> {
  const dir = path.join(work, `promotion-${way.name.replaceAll(/\W+/g, '-')}`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const bare = makeBareRepo(dir, {
    'services/orders-api/infra-sync.yaml': `source: acme/orders-api\nimage: ghcr.io/acme/orders-api\npolicy: semver\nenvironments:\n  dev: {}\n  prod:\n    promote: { from: dev, healthyFor: ${way.healthyForS}s }\n`,
    'services/orders-api/overlays/dev/kustomization.yaml': kustomization('1.0.0'),
    'services/orders-api/overlays/prod/kustomization.yaml': kustomization('1.0.0'),
  })
  const argo = await startFakeArgoCd()
  const server = await spawnServer(dir, { INFRA_SYNC_REPO: bare, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: path.join(dir, 'data'), INFRA_SYNC_ARGOCD_URL: argo.url, INFRA_SYNC_ARGOCD_TOKEN: argo.token, INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN: HOOK_TOKEN, LOG_LEVEL: 'info' })
  const view = async (id: string) => (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as { status: string; commit?: string }
  try {
    for (let i = 1; i <= rounds; i++) {
      const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: `1.0.${i}`, ref: 'refs/heads/main' })
      const { id } = (await (await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })).json()) as { id: string }
      const devCommit = await until(async () => { const v = await view(id); return v.status === 'waiting' && v.commit ? v.commit : undefined }, `1.0.${i} in dev`)
      const healthyAt = Date.now()
      argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: devCommit }, health: { status: 'Healthy', lastTransitionTime: new Date(healthyAt).toISOString().replace(/\.\d+Z$/, 'Z') } })
      const since = performance.now() - (Date.now() - healthyAt)
      if (way.hint) await fetch(`${server.url}/v1/webhooks/argocd`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${HOOK_TOKEN}` }, body: JSON.stringify({ application: 'orders-api-dev' }) })
      await until(async () => ((await view(id)).status === 'applied' ? true : undefined), `1.0.${i} promoted`)
      // Argo CD's lastTransitionTime has whole seconds: the promotion may go out up to 1 s before healthyAt + healthyFor as measured here.
      way.lagMs.push(performance.now() - since - way.healthyForS * 1000)
    }
  } finally {
    server.proc.kill('SIGKILL')
    await argo.close()
  }
  log(`  ${way.name}: median ${ms(median(way.lagMs))}, max ${ms(Math.max(...way.lagMs))}`)
}

export async function promotion(work: string, size: PromotionSize, log: (s: string) => void): Promise<Way[]> {
  const ways: Way[] = [
    { name: 'healthyFor 2s, polling (argocd.pollMs 5000)', healthyForS: 2, hint: false, lagMs: [] },
    { name: 'healthyFor 0s, polling', healthyForS: 0, hint: false, lagMs: [] },
    { name: 'healthyFor 0s, Argo CD notification hint', healthyForS: 0, hint: true, lagMs: [] },
  ]
  log(`promotion: ${size.rounds} promotions each way`)
  // Interleaved by rounds would need three servers at once; one after another, in one run, on one machine.
  for (const way of ways) await measure(work, way, size.rounds, log)
  return ways
}

export function promotionSection(ways: readonly Way[]): string {
  const rows = ways.map((w) => `| ${w.name} | ${w.lagMs.length} | ${ms(median(w.lagMs))} | ${ms(percentile(w.lagMs, 90))} | ${ms(Math.max(...w.lagMs))} |`)
  return ['### Promotion: healthyFor passed → prod commit', '', '| way | n | median | p90 | max |', '|---|---|---|---|---|', ...rows, '', 'Target: within 30 s of healthyFor having passed (issue #15). Lag is from when dev may be promoted (Argo CD Healthy at the deploy + healthyFor) to the event reading applied with the prod commit.'].join('\n')
}
