import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres-store.js'
import { freshDatabase } from '../helpers/postgres.js'
import { silentRelay } from './silent-relay.js'

/** Leases between replicas on one PostgreSQL database: one wins a race, the database's clock decides expiry, and a stalled holder loses to the fence. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
const REPO = 'https://git.example/acme/infra.git'
const HOUR = 3_600_000
const ev = (tag: string): BuildEvent => ({ source: 'acme/a', image: 'ghcr.io/acme/a', tag, ref: 'refs/heads/main' })

async function replica(t: Test, url: string, opts: PostgresStoreOptions = {}) {
  const store = new PostgresStore(url, opts)
  t.teardown(() => store.close())
  await store.init()
  return store
}

t.test('two replicas racing for a lease: exactly one wins, for a free lease and for an expired one', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  for (let i = 0; i < 10; i++) {
    const repo = `repo-${i}`
    const first = await Promise.all([a.acquireLease(repo, 'A', HOUR, new Date()), b.acquireLease(repo, 'B', HOUR, new Date())])
    t.equal(first.filter((l) => l !== null).length, 1, `${repo}: one holder`)

    const short = (await a.acquireLease(`${repo}-x`, 'A', 1, new Date()))!
    await sleep(30)
    const next = await Promise.all([a.acquireLease(`${repo}-x`, 'C', HOUR, new Date()), b.acquireLease(`${repo}-x`, 'D', HOUR, new Date())])
    const won = next.filter((l) => l !== null)
    t.equal(won.length, 1, `${repo}-x: one takes the expired lease`)
    t.equal(won[0]!.token, short.token + 1, 'with the next token')
  }
})

t.test("expiry is the database's clock: a replica's clock, however wrong, does not take a live lease", async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  t.ok(await a.acquireLease(REPO, 'A', HOUR, new Date(0)))
  t.equal(await b.acquireLease(REPO, 'B', HOUR, new Date('3000-01-01T00:00:00.000Z')), null)
})

t.test('a holder whose connection stalls inside a fenced write loses to the fence: its write never lands, the new holder redoes it', async (t) => {
  const url = new URL(await freshDatabase(t))
  const direct = await replica(t, url.toString())
  const id = (await direct.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: new Date() })).id

  // The stalled holder's connection goes silent right after the fence check reached the server: the server holds the lease row's lock.
  const relay = await silentRelay(t, url, (chunk) => chunk.includes('FROM leases WHERE repo = $1 FOR SHARE'))
  const via = new URL(url)
  via.host = `127.0.0.1:${relay.port}`
  const stalled = await replica(t, via.toString(), { queryTimeoutMs: 1000, connectTimeoutMs: 1000, idleInTransactionMs: 1000 })
  const lease = (await stalled.acquireLease(REPO, 'A', 200, new Date()))!
  const write = (commit: string) => [{ kind: 'final' as const, outcome: { id, status: 'applied' as const, targets: [] }, commit }]
  await t.rejects(stalled.finish(write('a'.repeat(40)), [], new Date(), { fence: lease }), { code: 'STORE_UNAVAILABLE' })

  // The other replica waits out the lease; its takeover waits for the server to end the stalled transaction, not forever.
  await sleep(300)
  const next = (await direct.acquireLease(REPO, 'B', HOUR, new Date()))!
  t.ok(next && next.token > lease.token, 'taken over with a larger token')
  t.match(await direct.get(id), { status: 'queued' }, 'the stalled write did not land')
  await direct.finish(write('b'.repeat(40)), [], new Date(), { fence: next })

  // The old holder comes back on a working connection and replays its write: the fence refuses it.
  const back = await replica(t, url.toString())
  await t.rejects(back.finish(write('a'.repeat(40)), [], new Date(), { fence: lease }), { code: 'LEASE_LOST', retryable: false })
  await t.rejects(back.markPushing('a'.repeat(40), [{ id, status: 'applied', targets: [] }], { fence: lease }), { code: 'LEASE_LOST' })
  t.match(await direct.get(id), { status: 'applied', commit: 'b'.repeat(40) }, "the new holder's write stands")
  t.equal(await back.renewLease(lease, HOUR, new Date()), null)
})
