import type { Test } from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import { eventIdFactory } from '../../src/store/event-id.js'
import type { Store } from '../../src/store/store.js'

/**
 * What two namespaces of one database (two infra repos) must keep apart, for
 * any store: events and their dedupe, claims, history, proposals, leases
 * and rate buckets. `a` and `b` are initialised handles on the two.
 */
const REPO = 'https://git.example/acme/infra.git'
const HOUR = 3_600_000
const IMAGE = 'ghcr.io/acme/a'
const ev = (tag: string): BuildEvent => ({ source: 'acme/a', image: IMAGE, tag, ref: 'refs/heads/main' })

export async function checkIndependent(t: Test, a: Store, b: Store): Promise<void> {
  const now = new Date()
  const inA = await a.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: now })
  t.equal(inA.duplicate, false)
  t.equal(await b.get(inA.id), null, "A's event is not gettable in B")
  t.same(await b.claim(10, now), [], 'nor claimable there')
  t.same(await b.counts(), {})

  const inB = await b.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: now })
  t.equal(inB.duplicate, false, 'the same delivery is a new event in B')
  t.not(inB.id, inA.id)
  const shared = eventIdFactory()(now.getTime())
  for (const s of [a, b]) {
    t.same(await s.accept({ id: shared, source: 'acme/a', deliveryId: 'd2', event: ev('2.0.0'), receivedAt: now }), { id: shared, duplicate: false, status: 'queued' }, 'one id given to both: a new event in each')
  }
  const claimed = async (s: Store) => (await s.claim(10, now)).map((r) => r.id).sort()
  t.same(await claimed(a), [inA.id, shared].sort())
  t.same(await claimed(b), [inB.id, shared].sort())

  const leaseA = (await a.acquireLease(REPO, 'owner-a', HOUR, new Date()))!
  const leaseB = (await b.acquireLease(REPO, 'owner-b', HOUR, new Date()))!
  t.ok(leaseA && leaseB, 'the same repo key is leased in each by another owner')
  t.equal(await b.acquireLease(REPO, 'owner-c', HOUR, new Date()), null, "B's lease is held in B")
  await a.releaseLease(leaseA)
  t.ok(await b.renewLease(leaseB, HOUR, new Date()), "A's release leaves B's lease held")
  const dep = { eventId: shared, service: 's', environment: 'dev', image: IMAGE, to: '2.0.0', tag: '2.0.0', builtAt: now.toISOString(), commit: 'f'.repeat(40), appliedAt: now.toISOString() }
  await b.finish([{ kind: 'final', outcome: { id: shared, status: 'applied', targets: [] }, commit: 'f'.repeat(40) }], [dep], now, { fence: leaseB })
  t.match(await b.get(shared), { status: 'applied' })
  t.match(await a.get(shared), { status: 'queued' }, "B's outcome is not A's")
  t.same(await a.lastApplied([{ service: 's', environment: 'dev', image: IMAGE }]), new Map(), "B's history is not A's")
  await b.pins.set({ service: 's', environment: 'dev', kind: 'manual', createdAt: now.toISOString() })
  t.same(await a.pins.list(), [], "B's pins are not A's")
  await b.promotions.set({ service: 's', environment: 'prod', value: '2.0.0', from: 'dev', state: 'waiting', updatedAt: now.toISOString() })
  t.same(await a.promotions.list(), [], "B's promotion records are not A's")
  t.equal(await a.recordHealth('f'.repeat(40), 's', 'dev', { healthyAt: now.toISOString() }), 0, "B's history takes no verdict through A")
  t.equal(await b.recordHealth('f'.repeat(40), 's', 'dev', { healthyAt: now.toISOString() }), 1)
  const onlyInB = (await b.acquireLease(`${REPO}/b`, 'owner-b', HOUR, new Date()))!
  await t.rejects(a.finish([], [], now, { fence: onlyInB }), { code: 'LEASE_LOST' }, 'a lease taken in B is no lease in A')

  const value = { tag: '2.0.0', builtAt: now.toISOString(), eventId: shared }
  const pr = { number: 3, url: 'https://x/pull/3', state: 'open' as const }
  await a.recordProposal(
    { service: 's', environment: 'prod', image: IMAGE, branch: 'infra-sync/s/prod', pullRequest: pr, headSha: 'b'.repeat(40), contentKey: 'k', value, changes: [], eventIds: [shared], openedAt: value.builtAt, updatedAt: value.builtAt },
    now,
  )
  t.equal((await a.openProposals()).length, 1)
  t.same(await b.openProposals(), [], "A's proposal is not B's")

  // Only where the store shares its buckets (PostgreSQL); elsewhere each process keeps its own.
  if (a.rateLimiter && b.rateLimiter) {
    const [limitA, limitB] = [a.rateLimiter({ perSecond: 1e-6, burst: 1 }), b.rateLimiter({ perSecond: 1e-6, burst: 1 })]
    t.equal(await limitA.take('acme/a'), 0)
    t.ok((await limitA.take('acme/a')) > 0, "A's bucket is empty")
    t.equal(await limitB.take('acme/a'), 0, "B's bucket of the same key is its own")
  }
}
