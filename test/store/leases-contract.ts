import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { Lease, ProposalRecord, Store } from '../../src/store/store.js'
import type { StoreFactory } from './store-contract.js'

/**
 * The Store contract for leases and fencing: tokens only grow, a holder
 * renews, an expired or released lease goes to the next with a larger
 * token, and a write fenced by a lost token is refused whole.
 * Real time: PostgreSQL times leases by its own clock, whatever `now` says.
 */
const REPO = 'https://git.example/acme/infra.git'
const HOUR = 3_600_000
const IMAGE = 'ghcr.io/acme/a'
const ev = (tag: string): BuildEvent => ({ source: 'acme/a', image: IMAGE, tag, ref: 'refs/heads/main' })

/** A lease of 1 ms, waited out: expired by any clock. */
async function expired(store: Store, repo: string, owner: string): Promise<Lease> {
  const lease = (await store.acquireLease(repo, owner, 1, new Date()))!
  await sleep(30)
  return lease
}

function proposal(eventId: string, number: number): ProposalRecord {
  const value = { tag: '1.0.0', builtAt: '2026-11-25T10:00:00.000Z', eventId }
  return {
    service: 's',
    environment: 'prod',
    image: IMAGE,
    branch: 'infra-sync/s/prod',
    pullRequest: { number, url: `https://x/pull/${number}`, state: 'open' },
    headSha: 'b'.repeat(40),
    contentKey: `k${number}`,
    value,
    changes: [{ eventId, service: 's', environment: 'prod', image: IMAGE, to: '1.0.0', tag: '1.0.0', builtAt: value.builtAt }],
    eventIds: [eventId],
    openedAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:00:00.000Z',
  }
}

export function leasesContract(t: Test, name: string, factory: StoreFactory): void {
  t.test(`${name}: a lease is taken when free, renewed by its holder, and passes on with a larger token`, async (t) => {
    const opener = await factory.database(t)
    const store = await opener()
    const now = () => new Date()
    const a = (await store.acquireLease(REPO, 'A', HOUR, now()))!
    t.match(a, { repo: REPO, owner: 'A' })
    t.ok(a.token >= 1)
    t.equal(await store.acquireLease(REPO, 'B', HOUR, now()), null, 'held by A')
    t.equal((await store.acquireLease(REPO, 'A', HOUR, now()))!.token, a.token, 'acquiring again renews')
    t.equal((await store.renewLease(a, HOUR, now()))!.token, a.token)
    t.ok(await store.acquireLease('another-repo', 'B', HOUR, now()), 'one lease per repo')

    await store.releaseLease(a)
    const b = (await store.acquireLease(REPO, 'B', HOUR, now()))!
    t.ok(b.token > a.token, 'a released lease goes to the next with a larger token')
    t.equal(await store.renewLease(a, HOUR, now()), null, 'the old holder lost it')
    await store.releaseLease(a)
    t.equal(await store.acquireLease(REPO, 'C', HOUR, now()), null, "a lost holder's release does not free the new holder's lease")

    const c1 = await expired(store, 'r2', 'C')
    const d = (await store.acquireLease('r2', 'D', HOUR, now()))!
    t.ok(d.token > c1.token, 'an expired lease is taken with a larger token')
    t.equal(await store.renewLease(c1, HOUR, now()), null)
    const e1 = await expired(store, 'r3', 'E')
    t.equal((await store.renewLease(e1, HOUR, now()))!.token, e1.token, 'an expired lease nobody took is renewed with its token')
    const e2 = await expired(store, 'r4', 'E')
    t.ok((await store.acquireLease('r4', 'E', HOUR, now()))!.token > e2.token, 'its holder acquiring after expiry is a new holder')

    if (!factory.shared) await store.close()
    const again = await opener()
    await again.releaseLease(b)
    t.ok((await again.acquireLease(REPO, 'F', HOUR, now()))!.token > b.token, 'tokens keep growing across restarts')
  })

  t.test(`${name}: a stale holder's batch writes are refused whole with LEASE_LOST; the new holder's go through`, async (t) => {
    const store = await (await factory.database(t))()
    const t0 = new Date()
    const [e1, e2] = [(await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: t0 })).id, (await store.accept({ source: 'acme/a', deliveryId: 'd2', event: ev('1.0.1'), receivedAt: t0 })).id]
    const old = await expired(store, REPO, 'A')
    const stale = { fence: old }
    t.same((await store.claim(10, t0, stale)).map((r) => r.id), [e1, e2], 'a fenced claim while the token is current')
    await store.markPushing('a'.repeat(40), [{ id: e1, status: 'applied', targets: [] }], stale)
    t.match(await store.get(e1), { pushBase: 'a'.repeat(40) }, 'an expired lease nobody took still fences right')

    const next = (await store.acquireLease(REPO, 'B', HOUR, new Date()))!
    t.ok(next.token > old.token)
    const lost = { code: 'LEASE_LOST', retryable: false, data: { repo: REPO, token: old.token, current: next.token } }
    const before = [await store.get(e1), await store.get(e2)]
    const dep = { eventId: e1, service: 's', environment: 'dev', image: IMAGE, to: '1.0.0', tag: '1.0.0', builtAt: t0.toISOString(), commit: 'f'.repeat(40), appliedAt: t0.toISOString() }
    await t.rejects(store.claim(10, t0, stale), lost)
    await t.rejects(store.markPushing('c'.repeat(40), [{ id: e2, status: 'applied', targets: [] }], stale), lost)
    await t.rejects(
      store.finish([{ kind: 'final', outcome: { id: e1, status: 'applied', targets: [] }, commit: 'f'.repeat(40) }, { kind: 'dead', id: e2, code: 'X', reason: 'x' }], [dep], t0, stale),
      lost,
    )
    await t.rejects(store.recordProposal(proposal(e2, 7), t0, stale), lost)
    t.same([await store.get(e1), await store.get(e2)], before, 'no event changed')
    t.same(await store.lastApplied([{ service: 's', environment: 'dev', image: IMAGE }]), new Map(), 'no deployment written')
    t.same(await store.openProposals(), [], 'no proposal written')
    await t.rejects(store.finish([], [], t0, { fence: { repo: 'never-leased', token: 1 } }), { code: 'LEASE_LOST' }, 'a repo nobody leased fences every write')

    const fresh = { fence: next }
    await store.markPushing('c'.repeat(40), [{ id: e2, status: 'applied', targets: [] }], fresh)
    await store.finish([{ kind: 'final', outcome: { id: e1, status: 'applied', targets: [] }, commit: 'f'.repeat(40) }], [dep], t0, fresh)
    await store.recordProposal(proposal(e2, 7), t0, fresh)
    t.match(await store.get(e1), { status: 'applied', commit: 'f'.repeat(40) })
    t.match(await store.get(e2), { pushBase: 'c'.repeat(40) })
    t.equal((await store.openProposals()).length, 1)

    const end = { state: 'closed' as const, closedAt: t0.toISOString() }
    await t.rejects(store.endProposal('s', 'prod', 7, end, t0, stale), lost)
    t.equal((await store.openProposals()).length, 1, 'the stale end wrote nothing')
    await store.endProposal('s', 'prod', 7, end, t0, fresh)
    t.same(await store.openProposals(), [])
  })
}
