import t from 'tap'
import { PostgresStore } from '../../src/store/postgres-store.js'
import { freshDatabase } from '../helpers/postgres.js'

/** What is the PostgreSQL store's own about claims (the shared rules are in store-contract.ts). */
t.test("the first claim under a new lease token takes over the claims an earlier holder left; a start alone does not", async (t) => {
  const url = await freshDatabase(t)
  const open = async (role: 'intake' | 'worker') => {
    const s = PostgresStore.fromUrl(url, role)
    t.teardown(() => s.close())
    await s.init()
    return s
  }
  const repo = 'https://git.example/acme/infra.git#main'
  const crashed = await open('worker')
  const now = new Date()
  const { id } = await crashed.accept({ source: 'acme/a', deliveryId: 'd1', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1.0.0' }, receivedAt: now })
  const first = (await crashed.acquireLease(repo, 'A', 60_000, now))!
  t.same((await crashed.claim(10, now, { fence: first })).map((r) => r.id), [id])
  // Killed: its lease and its claim stay behind. The lease is expired here as the TTL would expire it.
  await crashed.releaseLease(first)
  await crashed.close()

  const restarted = await open('worker')
  t.same(await restarted.claim(10, now), [], 'a start without the lease leaves the claim alone')
  const second = (await restarted.acquireLease(repo, 'B', 60_000, now))!
  t.ok(second.token > first.token)
  t.same((await restarted.claim(10, now, { fence: second })).map((r) => r.id), [id], 'the new holder takes it at once, not after the claim lapses')
  const late = await open('worker')
  await t.rejects(late.claim(10, now, { fence: first }), { code: 'LEASE_LOST' }, 'the old token releases nothing and claims nothing')
  t.same((await restarted.claim(10, now, { fence: second })).map((r) => r.id), [id], 'the holder keeps its claim')
})
