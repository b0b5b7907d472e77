import pg from 'pg'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import { PostgresStore } from '../../src/store/postgres-store.js'
import type { ReplicaHint } from '../../src/store/replica-hint.js'
import { freshDatabase } from '../helpers/postgres.js'
import { eventually } from '../helpers/tmp.js'

/** LISTEN/NOTIFY between replicas: an event one accepts is heard by another at once, and across a lost listen connection. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
const ev = (tag: string): BuildEvent => ({ source: 'acme/a', image: 'ghcr.io/acme/a', tag, ref: 'refs/heads/main' })

async function replica(t: Test, url: string) {
  // A short backoff so the reconnect is prompt; the tap timeout is the only bound on waits.
  const store = new PostgresStore(url, { listen: { minBackoffMs: 20, maxBackoffMs: 200 } })
  t.teardown(() => store.close())
  await store.init()
  return store
}

/** Calls of a listener, one promise at a time: `next()` settles at the next call after it was asked for (or one already pending). */
function calls() {
  let pending = 0
  let waiter: (() => void) | null = null
  return {
    listener: () => {
      if (waiter) {
        const w = waiter
        waiter = null
        w()
      } else pending++
    },
    next: () =>
      new Promise<void>((resolve) => {
        if (pending > 0) {
          pending--
          resolve()
        } else waiter = resolve
      }),
    /** Forgets calls already heard, so the next `next()` waits for a new one. */
    drain: () => {
      pending = 0
    },
  }
}

const LISTENERS = `FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database() AND pid <> pg_backend_pid()`

async function onAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** Kills B's listen connection, waiting until its backend is gone. */
const terminateListeners = (url: string) => onAdmin(url, async (c) => (await c.query(`SELECT pg_terminate_backend(pid, 10000) ${LISTENERS}`)).rowCount ?? 0)
const countListeners = (url: string) => onAdmin(url, async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n ${LISTENERS}`)).rows[0]!.n)

t.test('an event accepted by one replica is heard by another; a retry too', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  const heard = calls()
  const unsubscribe = await b.onEventsDue(heard.listener)

  const first = heard.next()
  const accepted = await a.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: new Date() })
  t.equal(accepted.duplicate, false)
  await first
  t.pass('B heard A accept a new event')

  const [claimed] = await a.claim(1, new Date())
  await a.finish([{ kind: 'dead', id: claimed!.id, code: 'X', reason: 'x' }], [], new Date())
  heard.drain()
  const again = heard.next()
  t.match(await a.retry(accepted.id, new Date()), { status: 'queued' })
  await again
  t.pass('B heard A put a dead event back')

  await unsubscribe()
})

t.test('a killed listen connection reconnects, tells its listener, and later accepts are heard again', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  const heard = calls()
  await b.onEventsDue(heard.listener)

  for (let round = 0; round < 2; round++) {
    heard.drain()
    const recovered = heard.next()
    t.equal(await terminateListeners(url), 1, 'B listens on one connection of its own')
    await recovered
    t.pass(`round ${round}: B called its listener after reconnecting`)

    heard.drain()
    const next = heard.next()
    await a.accept({ source: 'acme/a', deliveryId: `after-${round}`, event: ev(`2.0.${round}`), receivedAt: new Date() })
    await next
    t.pass(`round ${round}: B heard an accept made after the reconnect`)
  }
})

t.test('a subscriber that throws does not keep others from hearing; unsubscribed listeners are not called', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  let dropped = 0
  const unsubscribe = await b.onEventsDue(() => {
    dropped++
  })
  await b.onEventsDue(() => {
    throw new Error('a broken subscriber')
  })
  await unsubscribe()
  const heard = calls()
  await b.onEventsDue(heard.listener)
  const next = heard.next()
  await a.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('3.0.0'), receivedAt: new Date() })
  await next
  t.equal(dropped, 0, 'the unsubscribed listener was not called')
})

t.test('a store closed with a subscription ends its listen connection', async (t) => {
  const url = await freshDatabase(t)
  const b = new PostgresStore(url)
  await b.init()
  await b.onEventsDue(() => undefined)
  await b.close()
  // The server drops a closed connection's backend a moment after the client has gone.
  await eventually(async () => ((await countListeners(url)) === 0 ? true : undefined), 60_000, 'the LISTEN connection to go')
  t.pass('no LISTEN connection is left')
  await t.rejects(b.onEventsDue(() => undefined), { code: 'STORE_UNAVAILABLE' })
})

t.test('a hint one replica sends is heard by every replica of its repo, itself included, and not as an event', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  const other = new PostgresStore(url, { namespace: 'other-repo' })
  t.teardown(() => other.close())
  await other.init()
  const hints: ReplicaHint[] = []
  const events = calls()
  const heard = calls()
  await b.onEventsDue(events.listener)
  await b.onHint((h) => {
    hints.push(h)
    heard.listener()
  })
  const own: ReplicaHint[] = []
  await a.onHint((h) => own.push(h))
  const otherHints: ReplicaHint[] = []
  await other.onHint((h) => otherHints.push(h))

  const sent: ReplicaHint[] = [{ type: 'argocd', application: 'orders-api-dev' }, { type: 'pull-request', number: 42 }, { type: 'refresh' }]
  for (const h of sent) {
    const next = heard.next()
    await a.hint(h)
    await next
  }
  t.same(hints, sent, 'B heard each hint, in order')
  await eventually(async () => (own.length === sent.length ? true : undefined), 30_000, 'A to hear its own hints')
  t.same(own, sent, 'the sender hears its own (a standby acts on none: every act checks the lease)')

  // An event after the hints: B's event listener is woken by it, and its hint listener is not.
  const woken = events.next()
  await a.accept({ source: 'acme/a', deliveryId: 'after-hints', event: ev('4.0.0'), receivedAt: new Date() })
  await woken
  t.equal(hints.length, sent.length, 'an event is not a hint')
  // Everything A sent was heard by B before the event; the other repo's listener, on its own channel, heard none of it.
  t.same(otherHints, [], "another repo's replicas hear none of this repo's hints")
})
