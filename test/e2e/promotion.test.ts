import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { git, makeBareRepo, show } from '../helpers/git-cli.js'
import { startFakeArgoCd } from '../helpers/fake-argocd.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'
import { execFileSync } from 'node:child_process'
import { freshDatabase } from '../helpers/postgres.js'
import { ordersConfig, prInfraFiles, PROD_BRANCH, startPrRig, targetOf } from '../helpers/pull-request-rig.js'

/**
 * Promotion after health end to end, on `node dist/cli.js serve` with a
 * fake Argo CD (every answer checked against Argo CD's swagger.json): one
 * build → a dev commit → prod waits, saying for what and Argo CD's word on
 * it → the fake reports dev Synced at a later commit and Healthy →
 * prod gets its own commit with Promoted-From: dev@<commit>, and the
 * notifications for each step arrive. A second build that turns Degraded
 * in dev is never promoted: it is recorded and announced as failed. The
 * flow runs on SQLite and on PostgreSQL.
 */
const WEBHOOK_TOKEN = 'argocd-webhook-token-0123456789abcdef'
const ADMIN_TOKEN = 'admin-token-for-promotion-e2e-0123456789'
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const kustomization = (tag: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nimages:\n  - name: ghcr.io/acme/orders-api\n    newTag: ${tag}\n`

interface Target { readonly environment: string; readonly status?: string; readonly code: string; readonly reason: string; readonly decision: string }
interface EventView { readonly status: string; readonly code?: string; readonly commit?: string; readonly targets: readonly Target[] }

async function receiver(t: Tap.Test): Promise<{ url: string; got: { kind: string; environment: string; to: string; reason?: string }[] }> {
  const got: { kind: string; environment: string; to: string; reason?: string }[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      got.push(JSON.parse(body) as (typeof got)[number])
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got }
}

const log = (bare: string) => execFileSync('git', ['--git-dir', bare, 'log', '--format=%H%x00%B%x01', 'main'], { encoding: 'utf8' }).split('\x01').map((s) => s.trim()).filter(Boolean).map((s) => ({ sha: s.split('\0')[0]!, message: s.split('\0')[1]! }))

/** The whole flow on one store: SQLite (the default) or PostgreSQL at `database`. */
async function promotionFlow(t: Tap.Test, database?: string): Promise<void> {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, {
    'services/orders-api/infra-sync.yaml': 'source: acme/orders-api\nimage: ghcr.io/acme/orders-api\npolicy: semver\nnotify: [audit]\nenvironments:\n  dev: {}\n  prod:\n    promote: { from: dev, healthyFor: 2s }\n',
    'services/orders-api/overlays/dev/kustomization.yaml': kustomization('1.4.1'),
    'services/orders-api/overlays/prod/kustomization.yaml': kustomization('1.4.1'),
    'services/other/infra-sync.yaml': 'source: acme/other\nimage: ghcr.io/acme/other\n',
    'services/other/overlays/dev/kustomization.yaml': kustomization('a1').replace('orders-api', 'other'),
  })
  const argo = await startFakeArgoCd()
  t.teardown(() => argo.close())
  const hooks = await receiver(t)
  const config = path.join(dir, 'infra-sync.config.yaml')
  fs.writeFileSync(config, `notifications:\n  targets:\n    audit: { webhook: { url: "${hooks.url}/audit", secret: whsec_${Buffer.from('promotion-e2e-secret-0123456789').toString('base64')} } }\nargocd:\n  pollMs: 1000\n`)
  const server = await spawnServer(dir, {
    INFRA_SYNC_CONFIG: config,
    INFRA_SYNC_REPO: bare,
    INFRA_SYNC_SECRET: FALLBACK,
    INFRA_SYNC_DATA: path.join(dir, 'data'),
    INFRA_SYNC_ARGOCD_URL: argo.url,
    INFRA_SYNC_ARGOCD_TOKEN: argo.token,
    INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    INFRA_SYNC_ADMIN_TOKEN: ADMIN_TOKEN,
    ...(database && { INFRA_SYNC_DATABASE_URL: database }),
  })
  t.teardown(() => server.proc.kill('SIGKILL'))
  if (process.env.PROMOTION_DEBUG) t.teardown(() => fs.writeFileSync(process.env.PROMOTION_DEBUG!, server.output()))
  const send = async (source: string, image: string, tag: string) => {
    const body = JSON.stringify({ source, image, tag, ref: 'refs/heads/main', commit: 'a'.repeat(40) })
    const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
    t.equal(res.status, 202)
    return ((await res.json()) as { id: string }).id
  }
  const view = async (id: string) => (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as EventView
  let last: EventView | undefined
  const until = (id: string, what: string, ok: (v: EventView) => boolean) =>
    eventually(async () => ((last = await view(id)), ok(last) ? last : undefined), 60_000, what).catch((e: Error) => Promise.reject(new Error(`${e.message}; last seen ${JSON.stringify(last)}`)))
  const prod = (v: EventView) => v.targets.find((x) => x.environment === 'prod')!

  // Before Argo CD has synced the deploy: dev is committed, prod waits and says for what.
  argo.setStatus('orders-api-dev', { sync: { status: 'OutOfSync', revision: 'f'.repeat(40) }, health: { status: 'Healthy' } })
  const first = await send('acme/orders-api', 'ghcr.io/acme/orders-api', '1.4.2')
  const waiting = await until(first, 'prod waiting for dev', (v) => v.status === 'waiting' && /not synced|synced at/.test(prod(v).reason))
  t.match(waiting, { code: 'promotion-pending' })
  t.match(waiting.targets.find((x) => x.environment === 'dev'), { status: 'applied', decision: 'update' })
  t.match(prod(waiting), { status: 'waiting', code: 'promotion-pending', decision: 'skip' })
  t.match(prod(waiting).reason, /^waiting for orders-api-dev to be healthy for 2s at 1\.4\.2: /)
  t.match(show(bare, 'main', 'services/orders-api/overlays/dev/kustomization.yaml'), /newTag: 1\.4\.2/)
  t.match(show(bare, 'main', 'services/orders-api/overlays/prod/kustomization.yaml'), /newTag: 1\.4\.1/, 'prod untouched')
  const devCommit = waiting.commit!
  t.ok(devCommit, 'the event names the dev commit')

  // Another service deploys after it: Argo CD then syncs dev at that later commit, which carries the deploy.
  const later = await send('acme/other', 'ghcr.io/acme/other', 'b2')
  const laterCommit = (await until(later, 'the other service applied', (v) => v.status === 'applied')).commit!
  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: laterCommit }, health: { status: 'Progressing', message: 'rollout in progress' }, operationState: { phase: 'Succeeded', startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), syncResult: { revision: laterCommit } } })
  const progressing = await until(first, 'prod waiting while Progressing', (v) => /Progressing: rollout in progress$/.test(prod(v).reason))
  t.equal(progressing.status, 'waiting')

  // The hint route: a wrong token is refused; the right one answers 202.
  const hint = (token: string) => fetch(`${server.url}/v1/webhooks/argocd`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ application: 'orders-api-dev', revision: laterCommit }) })
  const refused = await hint('wrong-token-wrong-token-wrong')
  t.equal(refused.status, 401)
  t.match(await refused.json(), { code: 'ARGOCD_WEBHOOK_UNAUTHORIZED' })

  const healthyAt = new Date().toISOString()
  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: laterCommit }, health: { status: 'Healthy', lastTransitionTime: healthyAt }, operationState: { phase: 'Succeeded', startedAt: healthyAt, finishedAt: healthyAt, syncResult: { revision: laterCommit } } })
  t.equal((await hint(WEBHOOK_TOKEN)).status, 202)
  const promoted = await until(first, 'promoted to prod', (v) => v.status === 'applied')
  t.ok(Date.now() >= Date.parse(healthyAt) + 2000, 'not before healthyFor passed')
  t.match(prod(promoted), { status: 'applied', decision: 'update', code: 'updated', promotedFrom: { environment: 'dev', commit: devCommit } })
  t.match(show(bare, 'main', 'services/orders-api/overlays/prod/kustomization.yaml'), /newTag: 1\.4\.2/)
  const promotion = log(bare).find((c) => c.sha === promoted.commit)!
  t.match(promotion.message, /^deploy\(orders-api\/prod\): 1\.4\.1 → 1\.4\.2/)
  t.match(promotion.message, new RegExp(`^Promoted-From: dev@${devCommit}$`, 'm'))

  // History: dev's deployment became healthy at Argo CD's transition; prod's row is a promotion.
  const history = (await (await fetch(`${server.url}/v1/deployments?service=orders-api`, { headers: admin })).json()) as { deployments: { environment: string; to: string; kind: string; healthyAt?: string }[] }
  t.match(history.deployments.find((d) => d.environment === 'dev' && d.to === '1.4.2'), { healthyAt })
  t.match(history.deployments.find((d) => d.environment === 'prod'), { to: '1.4.2', kind: 'promotion' })

  // Every environment's deployment gets its health recorded, not only those a promotion waits on: prod's, once Argo CD says so.
  const prodHealthy = new Date().toISOString()
  argo.setStatus('orders-api-prod', { sync: { status: 'Synced', revision: promoted.commit }, health: { status: 'Healthy', lastTransitionTime: prodHealthy } })
  const prodRows = await eventually(async () => {
    const r = (await (await fetch(`${server.url}/v1/deployments?service=orders-api&environment=prod`, { headers: admin })).json()) as { deployments: { to: string; healthyAt?: string }[] }
    return r.deployments[0]?.healthyAt ? r.deployments : undefined
  }, 60_000, 'prod recorded healthy')
  t.equal(prodRows[0]!.healthyAt, prodHealthy)

  // A second build turns Degraded in dev: prod never gets it; it is recorded and announced.
  const second = await send('acme/orders-api', 'ghcr.io/acme/orders-api', '1.4.3')
  const devSecond = (await until(second, '1.4.3 in dev, prod waiting', (v) => v.status === 'waiting' && v.commit !== undefined)).commit!
  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: devSecond }, health: { status: 'Degraded', message: 'CrashLoopBackOff' }, operationState: { phase: 'Succeeded', startedAt: healthyAt, finishedAt: new Date().toISOString(), syncResult: { revision: devSecond } } })
  const stopped = await until(second, 'the promotion stopped', (v) => v.status !== 'waiting' && v.status !== 'queued')
  t.match(prod(stopped), { status: 'skipped', code: 'promotion-stopped' })
  t.match(prod(stopped).reason, /Degraded: CrashLoopBackOff/)
  t.match(show(bare, 'main', 'services/orders-api/overlays/prod/kustomization.yaml'), /newTag: 1\.4\.2/, 'prod keeps the healthy build')
  const after = (await (await fetch(`${server.url}/v1/deployments?service=orders-api&environment=dev`, { headers: admin })).json()) as { deployments: { to: string; failedAt?: string; healthReason?: string }[] }
  t.match(after.deployments.find((d) => d.to === '1.4.3'), { failedAt: String, healthReason: /Degraded/ })

  // Every step was told: dev applied, prod waiting, prod promoted; then 1.4.3 applied in dev, waiting, failed.
  const told = await eventually(async () => (hooks.got.length >= 6 ? hooks.got : undefined), 30_000, 'six notifications')
  t.same(told.map((n) => `${n.kind} ${n.environment} ${n.to}`), ['applied dev 1.4.2', 'waiting prod 1.4.2', 'promoted prod 1.4.2', 'applied dev 1.4.3', 'waiting prod 1.4.3', 'failed prod 1.4.3'])
  t.same(argo.violations, [], 'every answer the fake sent conforms to Argo CD\'s description')
}

t.test('a build reaches prod only after dev is Synced and Healthy at it; Degraded stops it (SQLite)', (t) => promotionFlow(t))
t.test('the same on PostgreSQL', async (t) => promotionFlow(t, await freshDatabase(t)))

t.test('into a pull-request environment, a promotion is a pull request carrying Promoted-From', async (t) => {
  const argo = await startFakeArgoCd()
  t.teardown(() => argo.close())
  const rig = await startPrRig(t, {
    files: prInfraFiles(ordersConfig({ prod: 'promote: { from: dev, healthyFor: 1s }' })),
    config: { githubPacing: { writeMs: 50, notificationMs: 150 }, argocd: { pollMs: 1000 } },
    env: { INFRA_SYNC_ARGOCD_URL: argo.url, INFRA_SYNC_ARGOCD_TOKEN: argo.token },
  })
  const id = await rig.post('1.4.2')
  const waiting = await rig.until(id, ['waiting'])
  t.match(targetOf(waiting, 'prod'), { status: 'waiting', code: 'promotion-pending', decision: 'skip' })
  t.equal(rig.pullsFor(PROD_BRANCH).length, 0, 'no pull request before dev is healthy')
  const devCommit = waiting.commit!
  const at = new Date().toISOString()
  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: devCommit }, health: { status: 'Healthy', lastTransitionTime: at } })
  const proposed = await rig.until(id, ['proposed'], 60_000)
  t.match(targetOf(proposed, 'prod'), { status: 'proposed', decision: 'update', update: 'pull-request', pullRequest: { state: 'open' } })
  t.match(targetOf(proposed, 'dev'), { status: 'applied', decision: 'update' }, "dev's change keeps its outcome")
  const [pr] = rig.pullsFor(PROD_BRANCH)
  t.match(pr!.body, `- Promoted-From: \`dev@${devCommit}\``)
  t.match(git(rig.bare, 'log', '-1', '--format=%B', PROD_BRANCH), new RegExp(`^Promoted-From: dev@${devCommit}$`, 'm'))
  t.same(argo.violations, [])
})
