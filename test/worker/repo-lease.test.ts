import path from 'node:path'
import t, { type Test } from 'tap'
import { StoreUnavailableError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { Store } from '../../src/store/store.js'
import { RepoLease, SQLITE_OWNER } from '../../src/worker/repo-lease.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * RepoLease on the SQLite store, whose leases are timed by the `now` it is
 * given: the test moves both that clock and the local monotonic one by hand.
 */
const TTL = 1000

async function rig(t: Test) {
  const sqlite = SqliteStore.fromUrl(`sqlite:${path.join(tmpDir(t), 'db.sqlite')}`)
  await sqlite.init()
  t.teardown(() => sqlite.close())
  const cut = { renew: false }
  const store = new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'renewLease' && cut.renew) return async () => Promise.reject(new StoreUnavailableError('cut by the test'))
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  }) as Store
  let now = Date.parse('2026-11-25T10:00:00Z')
  let mono = 0
  const advance = (ms: number) => {
    now += ms
    mono += ms
  }
  const lease = (owner?: string) => {
    const said: boolean[] = []
    const l = new RepoLease({ store, log: silentLogger, remote: { description: '/srv/infra.git', branch: 'main' }, ...(owner && { leaseOwner: owner }), ttlMs: TTL, clock: () => new Date(now), monotonic: () => mono, onChange: (x) => said.push(x) })
    return { l, said }
  }
  return { lease, advance, cut }
}

t.test('taken over while its holder slept: the renewal comes back empty, the lease is lost and the old fence refused', async (t) => {
  const { lease, advance } = await rig(t)
  const a = lease('A')
  const b = lease('B')
  const first = (await a.l.acquire())!
  t.match(first, { repo: '/srv/infra.git#main' })
  t.equal(await b.l.acquire(), undefined, 'held by A')
  t.same(b.said, [false], 'B hears it is not the leader')
  advance(TTL * 2)
  const second = (await b.l.acquire())!
  t.ok(second.token > first.token)
  await a.l.renew()
  t.equal(a.l.held, false)
  t.same(a.said, [true, false])
  t.throws(() => a.l.check(first), { code: 'LEASE_LOST' })
  t.doesNotThrow(() => b.l.check(second))
})

t.test('renewals that fail keep the lease until it would have expired, then lose it', async (t) => {
  const { lease, advance, cut } = await rig(t)
  const a = lease('A')
  const fence = (await a.l.acquire())!
  cut.renew = true
  advance(TTL / 2)
  await a.l.renew()
  t.ok(a.l.held, 'still surely held')
  t.doesNotThrow(() => a.l.check(fence))
  advance(TTL / 2)
  await a.l.renew()
  t.equal(a.l.held, false, 'past its expiry: lost')
  t.throws(() => a.l.check(fence), { code: 'LEASE_LOST' })
})

t.test('released on stop: the next worker takes it at once with a larger token', async (t) => {
  const { lease } = await rig(t)
  const a = lease('A')
  const b = lease('B')
  const first = (await a.l.acquire())!
  await a.l.release()
  t.equal(a.l.held, false)
  const second = (await b.l.acquire())!
  t.ok(second.token > first.token, 'no waiting out the TTL')
})

t.test('on SQLite the worker is one fixed owner: a restarted process renews the lease at once', async (t) => {
  const { lease } = await rig(t)
  const before = lease()
  const first = (await before.l.acquire())!
  // Killed: no release. The next process's worker holds it straight away, under the same token.
  const after = lease()
  t.equal((await after.l.acquire())?.token, first.token)
  t.ok(await lease(SQLITE_OWNER).l.acquire(), 'the owner is SQLITE_OWNER')
  t.equal(await lease('someone-else').l.acquire(), undefined)
})
