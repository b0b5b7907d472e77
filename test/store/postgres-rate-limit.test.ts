import t from 'tap'
import { PostgresStore } from '../../src/store/postgres-store.js'
import { freshDatabase } from '../helpers/postgres.js'

/** Rate limits shared through the database: replicas on one database take from one bucket per key. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
// So slow that no token comes back during a test, however loaded the machine: the outcomes are deterministic.
const TINY = 1e-6

async function replica(t: Test, url: string) {
  const store = new PostgresStore(url)
  t.teardown(() => store.close())
  await store.init()
  return store
}

t.test('two replicas share one bucket: burst 3 lets exactly 3 takes through, the 4th waits', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  const [la, lb] = [a.rateLimiter({ perSecond: TINY, burst: 3 }), b.rateLimiter({ perSecond: TINY, burst: 3 })]
  t.equal(await la.take('acme/a'), 0)
  t.equal(await lb.take('acme/a'), 0)
  t.equal(await la.take('acme/a'), 0)
  t.ok((await lb.take('acme/a')) > 0, 'the 4th, on the other replica, is told to wait')
  t.ok((await la.take('acme/a')) > 0, 'and so is a 5th')
  t.equal(await lb.take('acme/b'), 0, 'another key has its own bucket')
})

t.test('takes racing on two replicas: exactly burst of them succeed', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await replica(t, url), await replica(t, url)]
  const limiters = [a.rateLimiter({ perSecond: TINY, burst: 5 }), b.rateLimiter({ perSecond: TINY, burst: 5 })]
  const waits = await Promise.all(Array.from({ length: 16 }, (_, i) => limiters[i % 2]!.take('acme/a')))
  t.equal(waits.filter((w) => w === 0).length, 5)
  t.ok(waits.filter((w) => w !== 0).every((w) => Number.isInteger(w) && w >= 1), 'refusals wait whole seconds, at least one')
})

t.test('the wait is the time until a token is free; tokens come back with time', async (t) => {
  const url = await freshDatabase(t)
  const store = await replica(t, url)
  const slow = store.rateLimiter({ perSecond: 0.01, burst: 1 })
  t.equal(await slow.take('k'), 0)
  const wait = await slow.take('k')
  t.ok(wait >= 90 && wait <= 100, `one token in 100 s (told ${wait})`)
  t.ok((await slow.take('k')) >= 90, 'a refused take costs nothing and still waits about as long')

  // A fast refill: the bucket is back to full long before the tap timeout (polled, not timed).
  const fast = store.rateLimiter({ perSecond: 1000, burst: 2 })
  t.equal(await fast.take('f'), 0)
  t.equal(await fast.take('f'), 0)
  let allowed = false
  while (!allowed) allowed = (await fast.take('f')) === 0
  t.pass('a token came back')
})

t.test('perSecond 0 is no limit', async (t) => {
  const url = await freshDatabase(t)
  const store = await replica(t, url)
  const off = store.rateLimiter({ perSecond: 0, burst: 1 })
  for (let i = 0; i < 5; i++) t.equal(await off.take('k'), 0)
})

t.test('an unreachable database fails the take (as it fails the accept), never lets it through', async (t) => {
  const store = new PostgresStore('postgres://postgres@127.0.0.1:1/none', { connectTimeoutMs: 2000 })
  t.teardown(() => store.close())
  await t.rejects(store.rateLimiter({ perSecond: 1, burst: 1 }).take('k'), { code: 'STORE_UNAVAILABLE' })
})
