import type { Test } from 'tap'
import type { PromotionRecord } from '../../src/store/promotions.js'
import type { Deployment, Store } from '../../src/store/store.js'

const IMAGE = 'ghcr.io/acme/orders-api'
const SIDECAR = 'ghcr.io/acme/orders-migrate'
const sha = (c: string) => c.repeat(40)
const DIGEST = `sha256:${'d'.repeat(64)}`

const waiting: PromotionRecord = { service: 'orders', environment: 'prod', value: '1.4.2', from: 'dev', state: 'waiting', updatedAt: '2026-11-30T09:00:00.000Z' }
const cleared: PromotionRecord = {
  service: 'orders', environment: 'prod', value: `1.4.3@${DIGEST}`, from: 'dev', fromCommit: sha('a'), state: 'cleared',
  reason: 'Healthy', healthySince: '2026-11-30T09:05:00.000Z', updatedAt: '2026-11-30T09:10:00.000Z',
}
const stopped: PromotionRecord = { service: 'billing', environment: 'staging', value: '2.0.0', from: 'dev', state: 'stopped', reason: 'Degraded: CrashLoopBackOff', updatedAt: '2026-11-30T08:00:00.000Z' }

const dep = (environment: string, commit: string, over: Partial<Deployment> = {}): Deployment => ({
  eventId: `e-${environment}-${commit.slice(0, 1)}`, service: 'orders', environment, image: IMAGE, from: '1.4.1', to: '1.4.2', tag: '1.4.2',
  builtAt: '2026-11-30T08:00:00.000Z', commit, appliedAt: '2026-11-30T08:30:00.000Z', ...over,
})

/** The Store contract for promotion records (promotions.ts) and Argo CD's verdicts on deployments (recordHealth). */
export function promotionsContract(t: Test, name: string, open: (t: Test) => Promise<Store>): void {
  t.test(`${name}: promotion records are set, read back as written, listed newest first and upserted by service, environment and value`, async (t) => {
    const store = await open(t)
    t.same(await store.promotions.list(), [], 'none at first')
    t.equal(await store.promotions.get('orders', 'prod', '1.4.2'), null)
    for (const r of [waiting, cleared, stopped]) await store.promotions.set(r)
    t.same(await store.promotions.list(), [cleared, waiting, stopped], 'newest updatedAt first')
    t.same(await store.promotions.get('orders', 'prod', cleared.value), cleared, 'every field as written, the digest part of the value')
    t.same(await store.promotions.get('orders', 'prod', '1.4.2'), waiting, 'what was not given is absent')
    t.equal(await store.promotions.get('orders', 'prod', '1.4.3'), null, 'the value is matched whole')
    t.equal(await store.promotions.get('orders', 'staging', '1.4.2'), null, 'and the environment')

    const moved: PromotionRecord = { ...waiting, from: 'staging', fromCommit: sha('b'), state: 'cleared', healthySince: '2026-11-30T09:20:00.000Z', updatedAt: '2026-11-30T09:30:00.000Z' }
    await store.promotions.set(moved)
    t.same(await store.promotions.get('orders', 'prod', '1.4.2'), moved, 'the same key again replaces the record')
    t.same(await store.promotions.list(), [moved, cleared, stopped], 'one record per key, the upserted one now newest')
    await store.promotions.set({ ...cleared, state: 'superseded', updatedAt: '2026-11-30T09:40:00.000Z', reason: undefined, healthySince: undefined, fromCommit: undefined })
    t.same(await store.promotions.get('orders', 'prod', cleared.value), { ...waiting, value: cleared.value, state: 'superseded', updatedAt: '2026-11-30T09:40:00.000Z' }, 'fields left out are cleared')
    t.equal(await store.prune(new Date('2100-01-01T00:00:00.000Z')), 0)
    t.equal((await store.promotions.list()).length, 3, 'retention leaves promotion records')
  })

  t.test(`${name}: recordHealth records the first verdict on a commit's rows of a service and environment; later ones change nothing`, async (t) => {
    const store = await open(t)
    const [c1, c2] = [sha('1'), sha('2')]
    const healthy = '2026-11-30T08:40:00.000Z'
    const failed = '2026-11-30T08:45:00.000Z'
    await store.finish([], [dep('dev', c1), dep('dev', c1, { image: SIDECAR }), dep('prod', c1), dep('dev', c2, { to: '1.4.3', tag: '1.4.3' }), dep('dev', c1, { service: 'billing' })], new Date())

    t.equal(await store.recordHealth(c1, 'orders', 'dev', { healthyAt: healthy, reason: 'Healthy' }), 2, "both rows of the commit's (service, environment)")
    t.equal(await store.recordHealth(c1, 'orders', 'dev', { failedAt: failed, reason: 'Degraded' }), 0, 'the first verdict stands')
    t.equal(await store.recordHealth(c1, 'orders', 'dev', { healthyAt: failed }), 0, 'a later healthy time too')
    t.equal(await store.recordHealth(c1, 'orders', 'prod', { failedAt: failed, reason: 'Degraded: CrashLoopBackOff' }), 1)
    t.equal(await store.recordHealth(c1, 'orders', 'prod', { healthyAt: healthy }), 0, 'a failed row is not made healthy')
    t.equal(await store.recordHealth(c2, 'orders', 'dev', { reason: 'Progressing' }), 0, 'no time is no verdict')
    t.equal(await store.recordHealth(sha('9'), 'orders', 'dev', { healthyAt: healthy }), 0, 'an unknown commit')
    t.equal(await store.recordHealth(c1, 'orders', 'staging', { healthyAt: healthy }), 0, 'an environment with no row at the commit')

    const rows = await store.deployments({ limit: 10 })
    const at = (service: string, environment: string, commit: string, image = IMAGE) => rows.find((d) => d.service === service && d.environment === environment && d.commit === commit && d.image === image)
    t.match(at('orders', 'dev', c1), { healthyAt: healthy, healthReason: 'Healthy' })
    t.match(at('orders', 'dev', c1, SIDECAR), { healthyAt: healthy, healthReason: 'Healthy' })
    t.notOk('failedAt' in at('orders', 'dev', c1)!, 'healthy rows have no failure time')
    t.match(at('orders', 'prod', c1), { failedAt: failed, healthReason: 'Degraded: CrashLoopBackOff' })
    t.notOk('healthyAt' in at('orders', 'prod', c1)!)
    for (const d of [at('orders', 'dev', c2)!, at('billing', 'dev', c1)!]) {
      t.notOk('healthyAt' in d || 'failedAt' in d || 'healthReason' in d, `${d.service}/${d.environment}/${d.tag}: no verdict, none read`)
    }
    t.equal(await store.recordHealth(c2, 'orders', 'dev', { failedAt: failed }), 1, 'a row a reason-only call left alone still takes its first verdict')
    t.match((await store.deployments({ service: 'orders', environment: 'dev', limit: 1 }))[0], { commit: c2, failedAt: failed })
  })

  t.test(`${name}: a deployment written with its health reads back with it, and that verdict stands`, async (t) => {
    const store = await open(t)
    const row = dep('dev', sha('3'), { healthyAt: '2026-11-30T08:31:00.000Z', healthReason: 'Healthy' })
    await store.finish([], [row], new Date())
    t.equal(await store.recordHealth(sha('3'), 'orders', 'dev', { failedAt: '2026-11-30T08:50:00.000Z' }), 0)
    const [read] = await store.deployments({ limit: 1 })
    t.same(read, { ...row, kind: 'deploy', seq: read!.seq })
  })

  t.test(`${name}: wake makes waiting events due now and leaves them waiting; others are not touched`, async (t) => {
    const store = await open(t)
    const now = new Date('2026-11-30T10:00:00.000Z')
    const accept = (tag: string) => store.accept({ source: 'acme/orders-api', deliveryId: `d-${tag}`, event: { source: 'acme/orders-api', image: IMAGE, tag, ref: 'refs/heads/main' }, receivedAt: now })
    const held = (await accept('1.4.2')).id
    const queued = (await accept('1.4.3')).id
    const target = { service: 'orders', environment: 'prod', file: 'f.yaml', image: IMAGE, to: '1.4.2', decision: 'skip' as const, status: 'waiting' as const, code: 'promotion-pending', reason: 'waiting' }
    await store.finish([{ kind: 'wait', outcome: { id: held, status: 'waiting', code: 'promotion-pending', reason: 'waiting', targets: [target] }, retryAt: new Date(now.getTime() + 3_600_000) }], [], now)
    t.same((await store.list('waiting', 10)).map((r) => r.id), [held])
    t.equal(await store.promotions.wake([held, queued, 'no-such-event'], now), 1, 'only the waiting one')
    const claimed = await store.claim(10, now)
    t.same(claimed.map((r) => r.id).sort(), [held, queued].sort(), 'due now, beside the queued one')
    t.equal(claimed.find((r) => r.id === held)!.status, 'waiting', 'still reads waiting until it is planned')
    t.same(claimed.find((r) => r.id === held)!.targets, [target], 'with what its last plan said')
    // A person's retry (POST /v1/events/:id/retry) takes a waiting event too, as the Store contract says.
    await store.finish([{ kind: 'wait', outcome: { id: held, status: 'waiting', code: 'promotion-pending', reason: 'waiting', targets: [target] }, retryAt: new Date(now.getTime() + 3_600_000) }], [], now)
    t.match(await store.retry(held, now), { id: held, status: 'queued', attempts: 0 })
  })
}
