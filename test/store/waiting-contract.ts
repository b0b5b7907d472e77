import type { Test } from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { EventOutcome, TargetOutcome } from '../../src/core/change-set.js'
import type { Store } from '../../src/store/store.js'

const ev = (tag: string): BuildEvent => ({ source: 'acme/a', image: 'ghcr.io/acme/a', tag, ref: 'refs/heads/main' })

/**
 * Events held by a closed deploy window (Finish kind wait): stored as
 * waiting with their targets and the opening, claimed again from the
 * opening on, never counted as an attempt, kept by retention.
 */
export function waitingContract(t: Test, name: string, open: (t: Test) => Promise<Store>): void {
  t.test(`${name}: a waiting event is due at its window's opening, without counting an attempt`, async (t) => {
    const store = await open(t)
    const t0 = new Date('2026-11-30T06:00:00.000Z')
    const opens = new Date('2026-11-30T08:00:00.000Z')
    const { id } = await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: t0 })
    const [claimed] = await store.claim(10, t0)
    t.equal(claimed!.id, id)
    const target: TargetOutcome = { service: 's', environment: 'prod', file: 'f.yaml', image: 'ghcr.io/acme/a', from: '0.9.0', to: '1.0.0', decision: 'skip', status: 'waiting', code: 'window-closed', reason: 'waiting for a deploy window', nextOpenAt: opens.toISOString() }
    const outcome: EventOutcome = { id, status: 'waiting', code: 'window-closed', reason: 'waiting for a deploy window', nextOpenAt: opens.toISOString(), targets: [target] }
    await store.markPushing('a'.repeat(40), [outcome])
    await store.finish([{ kind: 'wait', outcome, retryAt: opens }], [], t0)
    const r = (await store.get(id))!
    t.match(r, { status: 'waiting', code: 'window-closed', attempts: 0, nextAttemptAt: opens.toISOString(), targets: [target] })
    t.equal(r.pushBase, undefined, 'no push is left unsettled')
    t.same((await store.list('waiting', 10)).map((x) => x.id), [id])
    t.same(await store.counts(), { waiting: 1 })
    t.same(await store.claim(10, new Date(opens.getTime() - 1000)), [], 'not before the opening')
    t.same((await store.claim(10, opens)).map((x) => x.id), [id], 'due at the opening')
    t.equal(await store.prune(new Date(opens.getTime() + 365 * 86_400_000)), 0, 'retention keeps it')
    await store.finish([{ kind: 'final', outcome: { id, status: 'applied', targets: [{ ...target, decision: 'update', status: 'applied', code: 'updated' }] }, commit: 'c'.repeat(40) }], [], opens)
    t.match(await store.get(id), { status: 'applied', attempts: 0, commit: 'c'.repeat(40) })
    t.same(await store.claim(10, opens), [])
  })

  t.test(`${name}: a waiting event keeps the commit that carried its other targets`, async (t) => {
    const store = await open(t)
    const t0 = new Date('2026-11-30T06:00:00.000Z')
    const { id } = await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: t0 })
    const outcome: EventOutcome = { id, status: 'waiting', code: 'window-closed', reason: 'w', targets: [] }
    await store.finish([{ kind: 'wait', outcome, retryAt: new Date('2026-11-30T08:00:00.000Z'), commit: 'd'.repeat(40) }], [], t0)
    t.match(await store.get(id), { status: 'waiting', commit: 'd'.repeat(40) })
  })
}
