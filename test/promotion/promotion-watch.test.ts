import path from 'node:path'
import t, { type Test } from 'tap'
import type { EventOutcome, TargetOutcome } from '../../src/core/change-set.js'
import { silentLogger } from '../../src/core/logger.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { ArgoCdClient, unconfiguredArgoCd } from '../../src/promotion/argocd-client.js'
import type { ApplicationStatus } from '../../src/promotion/health-verdict.js'
import { PromotionWatch } from '../../src/promotion/promotion-watch.js'
import { openStore } from '../../src/store/open-store.js'
import type { Deployment } from '../../src/store/store.js'
import { startFakeArgoCd } from '../helpers/fake-argocd.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * PromotionWatch.tick on a real SQLite store, a real registry, the real
 * Argo CD client against the fake (every answer checked against Argo CD's
 * swagger) and an injected clock: one event whose prod target waits on
 * 1.4.2 being healthy in dev for 10m, driven through what Argo CD says.
 */
const IMAGE = 'ghcr.io/acme/orders-api'
const APP = 'orders-api-dev'
const DEV = 'd'.repeat(40) // the commit that deployed 1.4.2 to dev
const LATER = 'e'.repeat(40) // a later commit on main, carrying DEV, that the clone lacks until a fetch
const OTHER = 'b'.repeat(40) // a commit without the deploy
const POLL_MS = 30_000
const HEALTHY_FOR_MS = 600_000
const CONFIG = 'source: acme/orders-api\nimage: ghcr.io/acme/orders-api\npolicy: semver\nenvironments:\n  dev: {}\n  prod:\n    promote: { from: dev, healthyFor: 10m }\n'

const iso = (ms: number) => new Date(ms).toISOString()
const synced = (revision: string, health: Record<string, unknown>, op?: Record<string, unknown>) => ({
  sync: { status: 'Synced', revision },
  health,
  ...(op && { operationState: { startedAt: '2026-11-30T09:59:00.000Z', finishedAt: '2026-11-30T09:59:30.000Z', ...op } }),
})

type Argo = 'fake' | 'closed-port' | 'unconfigured'

async function rig(t: Test, argoMode: Argo = 'fake') {
  let now = Date.parse('2026-11-30T10:00:00.000Z')
  const store = await openStore(`sqlite:${path.join(tmpDir(t), 'infra-sync.db')}`)
  await store.init()
  t.teardown(() => store.close())
  const fake = await startFakeArgoCd()
  t.teardown(() => fake.close())
  const registry = await loadRegistry(new MemoryTree(serviceFiles('orders-api', CONFIG, { dev: '1.4.2', prod: '1.4.1' }, IMAGE)))
  t.match(registry.services.get('orders-api')?.targets.find((x) => x.environment === 'prod')?.promote, { from: 'dev', healthyFor: '10m', healthyForMs: HEALTHY_FOR_MS, application: APP })

  // The stub of descends-from.ts: LATER carries DEV once the clone has fetched it.
  let fetched = false
  const carries = async (base: string, rev: string): Promise<boolean | 'unknown'> => (rev === base ? true : base === DEV && rev === LATER ? fetched || 'unknown' : false)
  // Switchable, so one test can bring Argo CD back: port 1 refuses connections like an Argo CD that is down.
  const clients: Record<Argo, Pick<ArgoCdClient, 'applicationStatus'>> = {
    fake: new ArgoCdClient({ url: fake.url, token: fake.token }),
    'closed-port': new ArgoCdClient({ url: 'http://127.0.0.1:1', token: fake.token, timeoutMs: 2000 }),
    unconfigured: unconfiguredArgoCd,
  }
  let live = clients[argoMode]
  const argocd = { applicationStatus: (name: string): Promise<ApplicationStatus> => live.applicationStatus(name) }
  const useArgo = (mode: Argo) => void (live = clients[mode])
  const watch = new PromotionWatch({
    store, argocd, registry: () => registry, carries,
    refresh: async () => void (fetched = true),
    wake: () => undefined, log: silentLogger, clock: () => new Date(now), pollMs: POLL_MS,
  })

  const { id } = await store.accept({ source: 'acme/orders-api', deliveryId: 'd-1.4.2', event: { source: 'acme/orders-api', image: IMAGE, tag: '1.4.2', ref: 'refs/heads/main' }, receivedAt: new Date(now) })
  const target = (environment: string): TargetOutcome => ({ service: 'orders-api', environment, file: `services/orders-api/overlays/${environment}/kustomization.yaml`, image: IMAGE, from: '1.4.1', to: '1.4.2', decision: 'update', update: 'commit', status: 'applied', code: 'updated', reason: '1.4.1 → 1.4.2' })
  const prod: TargetOutcome = { ...target('prod'), decision: 'skip', status: 'waiting', code: 'promotion-pending', reason: `waiting for ${APP} to be healthy for 10m at 1.4.2` }
  const outcome: EventOutcome = { id, status: 'waiting', code: 'promotion-pending', reason: prod.reason, targets: [target('dev'), prod] }
  const dep = (to: string, commit: string): Deployment => ({ eventId: id, service: 'orders-api', environment: 'dev', image: IMAGE, from: '1.4.1', to, tag: to, builtAt: iso(now - 60_000), commit, appliedAt: iso(now) })
  // What the worker does with a waiting event it planned: wait again, an hour on (outcome-recorder.ts).
  const replan = (deployments: Deployment[] = []) => store.finish([{ kind: 'wait', outcome, retryAt: new Date(now + 3_600_000), commit: DEV }], deployments, new Date(now))
  await replan([dep('1.4.2', DEV)])

  return {
    store, fake, watch, id, useArgo,
    replan: () => replan(),
    now: () => new Date(now),
    /** Moves the clock; `later` past pollMs makes every promotion due again. */
    advance: (ms: number) => void (now += ms),
    later: () => void (now += POLL_MS + 1),
    addDevDeployment: (to: string, commit: string) => store.finish([], [dep(to, commit)], new Date(now)),
    record: () => store.promotions.get('orders-api', 'prod', '1.4.2'),
    devRow: async () => (await store.deployments({ service: 'orders-api', environment: 'dev', limit: 10 })).find((d) => d.commit === DEV)!,
    due: async () => (await store.claim(10, new Date(now))).map((r) => r.id),
  }
}

t.test('a promotion waits through not synced, another revision, Progressing and healthyFor, then is cleared', async (t) => {
  const r = await rig(t)
  r.fake.setStatus(APP, { sync: { status: 'OutOfSync' }, health: { status: 'Missing' } })
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', from: 'dev', fromCommit: DEV, reason: /not synced/ }, 'Argo CD has synced nothing yet')
  t.equal((await r.store.get(r.id))?.status, 'waiting')

  r.later()
  r.fake.setStatus(APP, synced(OTHER, { status: 'Healthy' }))
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', fromCommit: DEV, reason: new RegExp(OTHER) }, 'synced at a commit without the deploy: it names that revision')
  t.notOk((await r.devRow()).healthyAt, 'Healthy at another revision is not the deploy being healthy')

  r.later()
  const synced1 = iso(r.now().getTime())
  r.fake.setStatus(APP, synced(LATER, { status: 'Progressing', message: 'rollout in progress' }, { phase: 'Succeeded', finishedAt: synced1, syncResult: { revision: LATER } }))
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', fromCommit: DEV, reason: /Progressing/ }, 'a later commit the clone had to fetch carries the deploy')
  t.notOk((await r.devRow()).healthyAt)

  r.later()
  const healthySince = iso(r.now().getTime())
  r.fake.setStatus(APP, synced(LATER, { status: 'Healthy', lastTransitionTime: healthySince }, { phase: 'Succeeded', finishedAt: synced1, syncResult: { revision: LATER } }))
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', fromCommit: DEV, healthySince }, 'Healthy, not yet for 10m')
  t.match(await r.devRow(), { healthyAt: healthySince }, "the dev deployment's healthy time is Argo CD's transition")
  t.notOk((await r.devRow()).failedAt)

  r.advance(HEALTHY_FOR_MS / 2)
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', healthySince }, 'halfway through healthyFor')

  await r.replan()
  t.same(await r.due(), [], 'planned again, the event waits an hour')
  r.advance(HEALTHY_FOR_MS / 2)
  await r.watch.tick()
  t.match(await r.record(), { state: 'cleared', from: 'dev', fromCommit: DEV, healthySince }, 'Healthy for healthyFor: cleared')
  t.same(await r.due(), [r.id], 'the event is due now, to be planned with the record')
  t.equal((await r.store.get(r.id))?.status, 'waiting', 'and reads waiting until it is planned')

  // A decided promotion is not asked about again: its events are only put back, so a crash before planning loses nothing.
  await r.replan()
  r.fake.setStatus(APP, synced(LATER, { status: 'Degraded', message: 'CrashLoopBackOff' }))
  r.later()
  await r.watch.tick()
  t.match(await r.record(), { state: 'cleared', fromCommit: DEV, healthySince })
  t.same(await r.due(), [r.id])
  t.match(await r.devRow(), { healthyAt: healthySince }, 'the first verdict stands')
  t.notOk((await r.devRow()).failedAt)
  t.same(r.fake.violations, [])
})

t.test('an Argo CD whose health has no lastTransitionTime: healthy since infra-sync first saw it so', async (t) => {
  const r = await rig(t)
  r.fake.setStatus(APP, synced(DEV, { status: 'Healthy' }))
  const firstSeen = r.now().toISOString()
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', healthySince: firstSeen })
  t.match(await r.devRow(), { healthyAt: firstSeen })
  r.later()
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', healthySince: firstSeen }, 'a later look keeps the first sighting')
  // An outage in between does not restart the wait.
  r.useArgo('closed-port')
  r.later()
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', reason: /ARGOCD_UNAVAILABLE/, healthySince: firstSeen }, 'kept through an outage')
  r.useArgo('fake')
  r.advance(HEALTHY_FOR_MS)
  await r.watch.tick()
  t.match(await r.record(), { state: 'cleared', fromCommit: DEV, healthySince: firstSeen })
  t.same(r.fake.violations, [])
})

t.test('Degraded at the deploy stops the promotion and records the dev deployment as failed', async (t) => {
  const r = await rig(t)
  r.fake.setStatus(APP, synced(DEV, { status: 'Degraded', message: 'CrashLoopBackOff' }, { phase: 'Succeeded', syncResult: { revision: DEV } }))
  await r.replan()
  await r.watch.tick()
  t.match(await r.record(), { state: 'stopped', fromCommit: DEV, reason: /Degraded/ })
  t.match(await r.devRow(), { failedAt: r.now().toISOString(), healthReason: /Degraded/ })
  t.notOk((await r.devRow()).healthyAt)
  t.same(await r.due(), [r.id], 'the event is planned again, to be skipped')
  t.same(r.fake.violations, [])
})

t.test('a failed sync stops it only when the failed sync carried the deploy', async (t) => {
  const r = await rig(t)
  const failed = (revision: string) => ({ sync: { status: 'OutOfSync', revision: OTHER }, health: { status: 'Healthy' }, operationState: { phase: 'Failed', message: 'one or more objects failed to apply', startedAt: '2026-11-30T09:59:00.000Z', finishedAt: '2026-11-30T09:59:30.000Z', syncResult: { revision } } })
  r.fake.setStatus(APP, failed(OTHER))
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', fromCommit: DEV }, 'a failed sync of a commit without the deploy')
  r.later()
  r.fake.setStatus(APP, failed(DEV))
  await r.watch.tick()
  t.match(await r.record(), { state: 'stopped', fromCommit: DEV })
  t.match(await r.devRow(), { failedAt: r.now().toISOString() })
  t.same(r.fake.violations, [])
})

t.test('dev moved on to a newer build before the promotion: superseded', async (t) => {
  const r = await rig(t)
  r.fake.setStatus(APP, synced(DEV, { status: 'Healthy', lastTransitionTime: '2026-11-30T08:00:00.000Z' }))
  await r.addDevDeployment('1.4.3', 'c'.repeat(40))
  await r.replan()
  await r.watch.tick()
  t.match(await r.record(), { state: 'superseded', from: 'dev' })
  t.notOk((await r.devRow()).healthyAt, 'a superseded deployment is not judged')
  t.same(await r.due(), [r.id])
  t.same(r.fake.violations, [])
})

t.test('Argo CD unreachable: the promotion waits naming ARGOCD_UNAVAILABLE, and is decided once Argo CD answers again', async (t) => {
  const r = await rig(t, 'closed-port')
  r.fake.setStatus(APP, synced(DEV, { status: 'Healthy', lastTransitionTime: '2026-11-30T08:00:00.000Z' }))
  await t.resolves(r.watch.tick(), 'the tick does not fail')
  t.match(await r.record(), { state: 'waiting', fromCommit: DEV, reason: /ARGOCD_UNAVAILABLE/ })
  t.notOk((await r.devRow()).healthyAt)

  r.useArgo('fake')
  r.advance(60_000)
  await r.watch.tick()
  t.match(await r.record(), { state: 'cleared', fromCommit: DEV, healthySince: '2026-11-30T08:00:00.000Z' })
  t.same(r.fake.violations, [])
})

t.test('Argo CD has no such Application: waiting, ARGOCD_NOT_FOUND', async (t) => {
  const r = await rig(t)
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', fromCommit: DEV, reason: /ARGOCD_NOT_FOUND/ })
  t.same(r.fake.violations, [])
})

t.test('no Argo CD configured: waiting, ARGOCD_NOT_CONFIGURED', async (t) => {
  const r = await rig(t, 'unconfigured')
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', fromCommit: DEV, reason: /ARGOCD_NOT_CONFIGURED/ })
})

t.test("a hint for the Application has it asked at the next tick, before pollMs is up", async (t) => {
  const r = await rig(t)
  r.fake.setStatus(APP, synced(DEV, { status: 'Progressing' }))
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', reason: /Progressing/ })

  r.fake.setStatus(APP, synced(DEV, { status: 'Healthy', lastTransitionTime: '2026-11-30T08:00:00.000Z' }))
  r.advance(1000)
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', reason: /Progressing/ }, 'not due yet, and no hint: the record stands')

  r.watch.hint('some-other-app')
  await r.watch.tick()
  t.match(await r.record(), { state: 'waiting', reason: /Progressing/ }, "another Application's hint does not hurry this one")

  r.watch.hint(APP)
  await r.watch.tick()
  t.match(await r.record(), { state: 'cleared', fromCommit: DEV })
  t.same(r.fake.violations, [])
})
