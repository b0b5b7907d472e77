import type { Test } from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import { eventIdFactory } from '../../src/store/event-id.js'
import type { EventRecord, Store } from '../../src/store/store.js'
import { deploymentsContract } from './deployments-contract.js'
import { leasesContract } from './leases-contract.js'
import { outboxContract } from './outbox-contract.js'
import { pinsContract } from './pins-contract.js'
import { promotionsContract } from './promotions-contract.js'
import { proposalsContract } from './proposals-contract.js'
import { waitingContract } from './waiting-contract.js'

/**
 * How a contract run reaches its store. `database` makes a fresh, empty
 * database for one test and returns an opener of initialised handles on it
 * (each closed when the test ends); `shared` says whether several handles,
 * as several processes would hold them, may work on it at once.
 */
export interface StoreFactory {
  readonly database: (t: Test) => Promise<() => Promise<Store>>
  readonly shared: boolean
}

const ev = (tag: string, over: Partial<BuildEvent> = {}): BuildEvent => ({ source: 'acme/a', image: 'ghcr.io/acme/a', tag, ref: 'refs/heads/main', ...over })
const DAY = 86_400_000

/** The Store contract (src/store/store.ts): every store passes the same suite. */
export function storeContract(t: Test, name: string, factory: StoreFactory): void {
  const open = async (t: Test) => (await factory.database(t))()

  t.test(`${name}: dedupe by delivery id and by meaning; the ref is part of the meaning`, async (t) => {
    const store = await open(t)
    const now = new Date()
    const a = await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: now })
    t.equal(a.duplicate, false)
    t.same(await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('9.9.9'), receivedAt: now }), { id: a.id, duplicate: 'delivery', status: 'queued' })
    t.same(await store.accept({ source: 'acme/a', deliveryId: 'd2', event: ev('1.0.0'), receivedAt: now }), { id: a.id, duplicate: 'meaning', status: 'queued' })
    t.equal((await store.accept({ source: 'acme/a', deliveryId: 'd3', event: ev('1.0.0', { ref: 'refs/heads/x' }), receivedAt: now })).duplicate, false)
    t.equal((await store.accept({ source: 'acme/a', deliveryId: 'd4', event: ev('1.0.0', { digest: `sha256:${'c'.repeat(64)}` }), receivedAt: now })).duplicate, false, 'a digest makes it another build')
    t.equal((await store.accept({ source: 'acme/b', deliveryId: 'd1', event: ev('2.0.0'), receivedAt: now })).duplicate, false, 'delivery ids are per source')
    const r = (await store.get(a.id))!
    t.match(r, { id: a.id, source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: now.toISOString(), status: 'queued', attempts: 0, targets: [] })
    t.equal(await store.get('01ARZ3NDEKTSV4RRFFQ69G5FAV'), null)
  })

  t.test(`${name}: a given id (AcceptInput.id) names a new event; a duplicate answers the id already stored`, async (t) => {
    const store = await open(t)
    const now = new Date()
    const given = eventIdFactory()(now.getTime() - 1000)
    t.same(await store.accept({ id: given, source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: now }), { id: given, duplicate: false, status: 'queued' })
    t.match(await store.get(given), { id: given, deliveryId: 'd1', event: ev('1.0.0') })
    const other = eventIdFactory()(now.getTime())
    t.same(await store.accept({ id: other, source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: now }), { id: given, duplicate: 'delivery', status: 'queued' })
    t.same(await store.accept({ id: other, source: 'acme/a', deliveryId: 'd2', event: ev('1.0.0'), receivedAt: now }), { id: given, duplicate: 'meaning', status: 'queued' })
    t.equal(await store.get(other), null, 'a duplicate stores nothing under the id it was given')
    await t.rejects(store.accept({ id: given, source: 'acme/a', deliveryId: 'd3', event: ev('2.0.0'), receivedAt: now }), { code: 'INVALID_INPUT' }, "another event's id is refused")
    for (const bad of ['not-an-id', given.toLowerCase(), `${given}0`]) {
      await t.rejects(store.accept({ id: bad, source: 'acme/a', deliveryId: `d-${bad}`, event: ev('3.0.0'), receivedAt: now }), { code: 'INVALID_INPUT' }, bad)
    }
    const fresh = await store.accept({ source: 'acme/a', deliveryId: 'd4', event: ev('4.0.0'), receivedAt: now })
    t.equal(fresh.duplicate, false, 'the refused accepts left the store working')
    t.same((await store.claim(10, now)).map((r) => r.id).sort(), [given, fresh.id].sort())
  })

  t.test(`${name}: claim returns due events oldest first; finish records outcomes, retries and dead letters`, async (t) => {
    const store = await open(t)
    const t0 = new Date('2026-11-25T10:00:00.000Z')
    const ids: string[] = []
    for (const tag of ['1.0.0', '1.0.1', '1.0.2']) ids.push((await store.accept({ source: 'acme/a', deliveryId: `d-${tag}`, event: ev(tag), receivedAt: t0 })).id)
    t.same((await store.claim(10, t0)).map((r) => r.id), ids, 'in arrival order')
    t.same((await store.claim(2, t0)).map((r) => r.id), ids.slice(0, 2), 'at most the limit')
    const [applied, failed, dead] = ids as [string, string, string]
    const later = new Date(t0.getTime() + 60_000)
    const outcome = { id: applied, status: 'applied' as const, targets: [] }
    await store.markPushing('a'.repeat(40), [outcome])
    t.match(await store.get(applied), { pushBase: 'a'.repeat(40), pushOutcome: outcome })
    await store.finish(
      [
        { kind: 'final', outcome, commit: 'f'.repeat(40) },
        { kind: 'retry', id: failed, code: 'GIT_REMOTE', reason: 'down', retryAt: later, countAttempt: true },
        { kind: 'dead', id: dead, code: 'YAML_INVALID', reason: 'bad' },
      ],
      [],
      t0,
    )
    const done = (await store.get(applied))!
    t.match(done, { status: 'applied', commit: 'f'.repeat(40) })
    t.equal(done.pushBase, undefined, 'the push is settled')
    t.equal(done.pushOutcome, undefined)
    t.match(await store.get(failed), { status: 'failed', code: 'GIT_REMOTE', attempts: 1, nextAttemptAt: later.toISOString() })
    t.match(await store.get(dead), { status: 'dead', code: 'YAML_INVALID', attempts: 1 })
    t.same(await store.claim(10, t0), [], 'a failed event waits for its time')
    t.same((await store.claim(10, later)).map((r) => r.id), [failed])
    const pr = { number: 4, url: 'https://x/pull/4', state: 'open' as const }
    const proposed = { service: 's', environment: 'prod', file: 'f.yaml', image: 'ghcr.io/acme/a', to: '1.0.1', decision: 'update' as const, code: 'updated', reason: 'x', status: 'proposed' as const, pullRequest: pr }
    await store.finish([{ kind: 'retry', id: failed, code: 'GIT_REMOTE', reason: 'down', targets: [proposed], retryAt: later, countAttempt: false }], [], later)
    t.match(await store.get(failed), { attempts: 1, targets: [proposed], pullRequest: pr }, "a failure that is not the event's does not count; its targets are kept")
    await store.finish([{ kind: 'retry', id: failed, code: 'GIT_REMOTE', reason: 'down', retryAt: later, countAttempt: true }], [], later)
    t.match(await store.get(failed), { attempts: 2, targets: [proposed], pullRequest: pr }, 'a retry without targets leaves them')
    t.same(await store.counts(), { applied: 1, failed: 1, dead: 1 })
    await store.ping()
  })

  t.test(`${name}: retention forgets old finished events only; history and unfinished events stay`, async (t) => {
    const store = await open(t)
    const old = new Date(Date.now() - 40 * DAY)
    const accept = async (tag: string, at: Date) => (await store.accept({ source: 'acme/a', deliveryId: `d-${tag}`, event: ev(tag), receivedAt: at })).id
    const applied = await accept('1.0.0', old)
    const dead = await accept('1.0.1', old)
    const failed = await accept('1.0.2', old)
    const queued = await accept('1.0.3', old)
    const recent = await accept('1.0.4', new Date())
    const final = (id: string) => ({ kind: 'final' as const, outcome: { id, status: 'applied' as const, targets: [] }, commit: 'f'.repeat(40) })
    await store.finish(
      [final(applied), final(recent), { kind: 'dead', id: dead, code: 'YAML_INVALID', reason: 'x' }, { kind: 'retry', id: failed, code: 'GIT_REMOTE', reason: 'x', retryAt: new Date(), countAttempt: false }],
      [{ eventId: applied, service: 's', environment: 'dev', image: 'ghcr.io/acme/a', to: '1.0.0', tag: '1.0.0', builtAt: old.toISOString(), commit: 'f'.repeat(40), appliedAt: old.toISOString() }],
      new Date(),
    )
    t.equal(await store.prune(new Date(Date.now() - 30 * DAY)), 1)
    t.equal(await store.get(applied), null)
    for (const id of [dead, failed, queued, recent]) t.ok(await store.get(id), `${id} kept`)
    t.same([...(await store.lastApplied([{ service: 's', environment: 'dev', image: 'ghcr.io/acme/a' }])).values()].map((r) => r.tag), ['1.0.0'], 'the deployment history is kept')
    t.same((await store.list('dead', 10)).map((r) => r.id), [dead])
    const retried = await store.retry(dead, new Date())
    t.equal(retried!.status, 'queued')
    t.equal(retried!.attempts, 0)
    t.equal((await store.retry(recent, new Date()))!.status, 'applied', 'only dead or failed events go back to the queue')
    t.equal(await store.retry('01ARZ3NDEKTSV4RRFFQ69G5FAV', new Date()), null)
    t.equal((await store.accept({ source: 'acme/a', deliveryId: 'd-again', event: ev('1.0.0'), receivedAt: new Date() })).duplicate, false, 'a pruned build is a new event')
  })

  t.test(`${name}: an operator's retry of a dead event whose push was never settled plans it afresh`, async (t) => {
    const store = await open(t)
    const t0 = new Date('2026-11-25T10:00:00.000Z')
    const unknown = (await store.accept({ source: 'acme/a', deliveryId: 'd-u', event: ev('1.0.0'), receivedAt: t0 })).id
    const failing = (await store.accept({ source: 'acme/a', deliveryId: 'd-f', event: ev('1.0.1'), receivedAt: t0 })).id
    await store.claim(10, t0)
    await store.markPushing('a'.repeat(40), [{ id: unknown, status: 'applied', targets: [] }, { id: failing, status: 'applied', targets: [] }])
    await store.finish(
      [
        { kind: 'dead', id: unknown, code: 'PUSH_OUTCOME_UNKNOWN', reason: 'history unavailable' },
        { kind: 'retry', id: failing, code: 'GIT_REMOTE', reason: 'down', retryAt: t0, countAttempt: true },
      ],
      [],
      t0,
    )
    const retried = (await store.retry(unknown, t0))!
    t.equal(retried.status, 'queued')
    t.equal(retried.pushBase, undefined, 'the person decided: it is planned from the branch as it is, not settled again')
    t.equal(retried.pushOutcome, undefined)
    t.equal((await store.retry(failing, t0))!.pushBase, 'a'.repeat(40), 'a failed event still settles its push first')
  })

  t.test(`${name}: lastApplied answers the newest deployment of each target asked for`, async (t) => {
    const store = await open(t)
    const dep = (service: string, tag: string, builtAt: string) => ({ eventId: `e-${tag}`, service, environment: 'dev', image: 'ghcr.io/acme/a', to: tag, tag, builtAt, commit: 'c'.repeat(40), appliedAt: builtAt })
    await store.finish([], [dep('s', '1.0.0', '2026-11-25T10:00:00.000Z'), dep('s', '1.1.0', '2026-11-25T09:00:00.000Z'), dep('t', '2.0.0', '2026-11-25T10:00:00.000Z')], new Date())
    const last = await store.lastApplied([{ service: 's', environment: 'dev', image: 'ghcr.io/acme/a' }, { service: 'u', environment: 'dev', image: 'ghcr.io/acme/a' }])
    t.same([...last.entries()], [['s\u0000dev\u0000ghcr.io/acme/a', { eventId: 'e-1.1.0', builtAt: '2026-11-25T09:00:00.000Z', tag: '1.1.0' }]], 'the last recorded wins; unknown targets are absent')
    t.same(await store.lastApplied([]), new Map())
  })

  t.test(`${name}: concurrent accepts of one delivery answer one id`, async (t) => {
    const opener = await factory.database(t)
    const handles = factory.shared ? [await opener(), await opener()] : [await opener()]
    const at = new Date()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => handles[i % handles.length]!.accept({ source: 'acme/a', deliveryId: 'same', event: ev('1.0.0'), receivedAt: at })),
    )
    t.equal(new Set(results.map((r) => r.id)).size, 1)
    t.equal(results.filter((r) => r.duplicate === false).length, 1, 'one of them inserted it')
    t.same(await handles[0]!.counts(), { queued: 1 })
  })

  if (factory.shared) {
    t.test(`${name}: two claimers on two connections never claim the same event; a dead claimer's claim lapses`, async (t) => {
      const opener = await factory.database(t)
      const [a, b] = [await opener(), await opener()]
      const now = new Date()
      for (let i = 0; i < 30; i++) await a.accept({ source: 'acme/a', deliveryId: `d${i}`, event: ev(`1.0.${i}`), receivedAt: now })
      const seen = new Map<string, string>()
      const take = async (store: Store, who: string) => {
        const got = await store.claim(4, now)
        for (const r of got) t.notOk(seen.has(r.id) && seen.get(r.id) !== who, `${r.id} claimed once`)
        for (const r of got) seen.set(r.id, who)
        await store.finish(got.map((r: EventRecord) => ({ kind: 'final', outcome: { id: r.id, status: 'skipped', targets: [] } })), [], now)
        return got.length
      }
      for (let round = 0; round < 10; round++) {
        const [x, y] = await Promise.all([take(a, 'a'), take(b, 'b')])
        if (x + y === 0) break
      }
      t.equal(seen.size, 30, 'every event was claimed')

      const id = (await a.accept({ source: 'acme/a', deliveryId: 'late', event: ev('2.0.0'), receivedAt: now })).id
      t.same((await a.claim(10, now)).map((r) => r.id), [id])
      t.same(await b.claim(10, now), [], 'claimed by a, which may still be working on it')
      t.same((await a.claim(10, now)).map((r) => r.id), [id], 'its own claimer gets it again')
      t.same((await b.claim(10, new Date(now.getTime() + 3_600_000))).map((r) => r.id), [id], 'a claim its claimer neither finished nor renewed lapses')
    })
  }

  proposalsContract(t, name, open)
  deploymentsContract(t, name, open)
  pinsContract(t, name, open)
  promotionsContract(t, name, open)
  outboxContract(t, name, open)
  waitingContract(t, name, open)
  leasesContract(t, name, factory)
}
