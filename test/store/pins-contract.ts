import type { Test } from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import { withEventOrigin } from '../../src/store/deployment-rows.js'
import type { Store } from '../../src/store/store.js'

const IMAGE = 'ghcr.io/acme/orders-api'
const rollback = (request: string, tag = '1.0.1'): BuildEvent => ({ source: 'acme/orders-api', image: IMAGE, tag, ref: 'refs/heads/main', rollback: { service: 'orders', environment: 'prod', request } })

/** The Store contract for pins set through the API, and what a rollback event is to the inbox and the history. */
export function pinsContract(t: Test, name: string, open: (t: Test) => Promise<Store>): void {
  t.test(`${name}: pins are set, replaced, listed and removed, one per service and environment`, async (t) => {
    const store = await open(t)
    t.same(await store.pins.list(), [], 'none at first')
    await store.pins.set({ service: 'orders', environment: 'prod', value: '1.0.1', kind: 'rollback', reason: 'bad release', createdAt: '2026-11-30T09:00:00.000Z' })
    await store.pins.set({ service: 'billing', environment: 'dev', kind: 'manual', createdAt: '2026-11-30T09:01:00.000Z' })
    t.same(await store.pins.list(), [
      { service: 'billing', environment: 'dev', kind: 'manual', createdAt: '2026-11-30T09:01:00.000Z' },
      { service: 'orders', environment: 'prod', value: '1.0.1', kind: 'rollback', reason: 'bad release', createdAt: '2026-11-30T09:00:00.000Z' },
    ])
    await store.pins.set({ service: 'orders', environment: 'prod', value: '1.0.0', kind: 'manual', createdAt: '2026-11-30T09:02:00.000Z' })
    t.same((await store.pins.list()).filter((p) => p.service === 'orders'), [{ service: 'orders', environment: 'prod', value: '1.0.0', kind: 'manual', createdAt: '2026-11-30T09:02:00.000Z' }], 'a new pin replaces the one there, reason and all')
    t.equal(await store.pins.remove('orders', 'prod'), true)
    t.equal(await store.pins.remove('orders', 'prod'), false, 'removing what is not there says so')
    t.same((await store.pins.list()).map((p) => `${p.service}/${p.environment}`), ['billing/dev'])
  })

  t.test(`${name}: a rollback to a value is its own event, once per request; its history row is a rollback`, async (t) => {
    const store = await open(t)
    const now = new Date()
    const build = await store.accept({ source: 'acme/orders-api', deliveryId: 'ci-1', event: { source: 'acme/orders-api', image: IMAGE, tag: '1.0.1', ref: 'refs/heads/main' }, receivedAt: now })
    const first = await store.accept({ source: 'acme/orders-api', deliveryId: 'rollback:r1', event: rollback('r1'), receivedAt: now })
    t.equal(first.duplicate, false, 'not the build that first brought 1.0.1')
    t.not(first.id, build.id)
    t.same(await store.accept({ source: 'acme/orders-api', deliveryId: 'rollback:r1', event: rollback('r1'), receivedAt: now }), { id: first.id, duplicate: 'delivery', status: 'queued' }, 'the same request again')
    t.equal((await store.accept({ source: 'acme/orders-api', deliveryId: 'rollback:r2', event: rollback('r2'), receivedAt: now })).duplicate, false, 'another request to the same value')
    t.match(await store.get(first.id), { event: rollback('r1') }, 'the mark is kept with the event')
    const row = { eventId: first.id, service: 'orders', environment: 'prod', image: IMAGE, from: '1.0.2', to: '1.0.1', tag: '1.0.1', builtAt: now.toISOString(), commit: 'c'.repeat(40), appliedAt: now.toISOString() }
    await store.finish([], [withEventOrigin(row, { source: 'acme/orders-api', event: rollback('r1') })], now)
    t.match(await store.deployments({ service: 'orders', limit: 1 }), [{ to: '1.0.1', kind: 'rollback' }])
  })
}
