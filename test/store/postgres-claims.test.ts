import t from 'tap'
import { PostgresStore } from '../../src/store/postgres-store.js'
import { freshDatabase } from '../helpers/postgres.js'

/** What is the PostgreSQL store's own about claims (the shared rules are in store-contract.ts): one worker per database in this version. */
t.test("a worker's store takes over at start the claims a crashed worker left; the intake's does not", async (t) => {
  const url = await freshDatabase(t)
  const open = async (role: 'intake' | 'worker') => {
    const s = PostgresStore.fromUrl(url, role)
    t.teardown(() => s.close())
    await s.init()
    return s
  }
  const crashed = await open('worker')
  const now = new Date()
  const { id } = await crashed.accept({ source: 'acme/a', deliveryId: 'd1', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1.0.0' }, receivedAt: now })
  t.same((await crashed.claim(10, now)).map((r) => r.id), [id])
  await crashed.close()

  const intake = await open('intake')
  t.same(await intake.claim(10, now), [], 'an intake start leaves the claim alone')
  const restarted = await open('worker')
  t.same((await restarted.claim(10, now)).map((r) => r.id), [id], 'the next worker takes it at once, not after the claim lapses')
})
