import path from 'node:path'
import t from 'tap'
import type { PromotionRecord } from '../../src/store/promotions.js'
import { RepoStores } from '../../src/store/repo-stores.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { Deployment } from '../../src/store/store.js'
import { tmpDir } from '../helpers/tmp.js'

/** The intake's facade over several infra repos (repo-stores.ts): what it forwards of promotion records and deployment health. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]

async function facade(t: Test, names: readonly string[]) {
  const url = `sqlite:${path.join(tmpDir(t), 'x.db')}`
  const repos = names.map((name) => ({ name, store: SqliteStore.fromUrl(url, 'worker', names.length > 1 ? name : undefined) }))
  const stores = new RepoStores(repos)
  await stores.init()
  t.teardown(() => stores.close())
  return { stores, repo: (name: string) => repos.find((r) => r.name === name)!.store }
}

const record = (over: Partial<PromotionRecord> = {}): PromotionRecord => ({ service: 'orders', environment: 'prod', value: '1.4.2', from: 'dev', state: 'waiting', updatedAt: '2026-11-30T09:00:00.000Z', ...over })
const C = 'c'.repeat(40)
const dep = (service: string): Deployment => ({ eventId: `e-${service}`, service, environment: 'dev', image: `ghcr.io/acme/${service}`, to: '1.0.0', tag: '1.0.0', builtAt: '2026-11-30T08:00:00.000Z', commit: C, appliedAt: '2026-11-30T08:30:00.000Z' })

t.test('one repo: promotion records and recordHealth pass through as the store has them', async (t) => {
  const { stores, repo } = await facade(t, ['main'])
  await stores.promotions.set(record())
  t.same(await stores.promotions.list(), [record()], 'no repo named when there is one')
  t.same(await stores.promotions.get('orders', 'prod', '1.4.2'), record())
  t.equal(await stores.promotions.get('orders', 'prod', '9.9.9'), null)
  await repo('main').finish([], [dep('orders')], new Date())
  t.equal(await stores.recordHealth(C, 'orders', 'dev', { healthyAt: '2026-11-30T08:40:00.000Z' }), 1)
  t.match(await stores.deployments({ limit: 1 }), [{ healthyAt: '2026-11-30T08:40:00.000Z' }])
})

t.test('several repos: records set in each, read from all naming their repo, newest first; health reaches the repo whose commit it is', async (t) => {
  const { stores, repo } = await facade(t, ['apps', 'platform'])
  await stores.promotions.set(record())
  t.same(await repo('apps').promotions.list(), [record()], 'set in every repo, as pins are')
  t.same(await repo('platform').promotions.list(), [record()])
  await repo('platform').promotions.set(record({ state: 'cleared', healthySince: '2026-11-30T09:04:00.000Z', updatedAt: '2026-11-30T09:05:00.000Z' }))
  await repo('apps').promotions.set(record({ service: 'billing', updatedAt: '2026-11-30T08:00:00.000Z' }))
  t.same(
    (await stores.promotions.list()).map((p) => `${p.repo}:${p.service}:${p.state}`),
    ['platform:orders:cleared', 'apps:orders:waiting', 'apps:billing:waiting'],
    'every repo\'s records, newest updatedAt first',
  )
  t.match(await stores.promotions.get('orders', 'prod', '1.4.2'), { repo: 'platform', state: 'cleared' }, "the newest of the repos' records")
  t.match(await stores.promotions.get('billing', 'prod', '1.4.2'), { repo: 'apps' }, 'the one repo that has it')
  t.equal(await stores.promotions.get('orders', 'dev', '1.4.2'), null)

  await repo('platform').finish([], [dep('ingress')], new Date())
  t.equal(await stores.recordHealth(C, 'ingress', 'dev', { failedAt: '2026-11-30T08:45:00.000Z', reason: 'Degraded' }), 1, 'the rows changed, over all repos')
  t.equal(await stores.recordHealth(C, 'ingress', 'dev', { healthyAt: '2026-11-30T08:50:00.000Z' }), 0, 'the first verdict stands')
  t.match(await stores.deployments({ limit: 10 }), [{ repo: 'platform', service: 'ingress', failedAt: '2026-11-30T08:45:00.000Z', healthReason: 'Degraded' }])
})
