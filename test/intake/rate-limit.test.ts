import t from 'tap'
import { MemoryRateLimiter } from '../../src/intake/rate-limit.js'

/** One process's token buckets, on a clock the test moves. */
t.test('burst at once, then a wait in whole seconds until the next token; refilled with time', async (t) => {
  let now = 0
  const limiter = new MemoryRateLimiter({ perSecond: 0.5, burst: 2 }, () => now)
  t.equal(await limiter.take('a'), 0)
  t.equal(await limiter.take('a'), 0)
  t.equal(await limiter.take('a'), 2, 'one token every 2 s')
  t.equal(await limiter.take('b'), 0, 'another key has its own bucket')
  now += 1000
  t.equal(await limiter.take('a'), 1, 'half a token back: 1 s to go')
  now += 1000
  t.equal(await limiter.take('a'), 0)
  now += 60_000
  t.equal(await limiter.take('a'), 0)
  t.equal(await limiter.take('a'), 0)
  t.equal(await limiter.take('a'), 2, 'refilled to the burst, never past it')
})

t.test('perSecond 0 is no limit', async (t) => {
  const limiter = new MemoryRateLimiter({ perSecond: 0, burst: 1 }, () => 0)
  for (let i = 0; i < 5; i++) t.equal(await limiter.take('a'), 0)
})
