import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { EventOutcome, TargetOutcome } from '../../src/core/change-set.js'
import { noticesFor } from '../../src/notifications/notices-for.js'
import type { Registry } from '../../src/projects/registry.js'
import type { EventRecord } from '../../src/store/store.js'

/** Which outcomes are told: a target waiting for a deploy window is told once, with its reason. */
const registry = { services: new Map([['orders-api', { config: { notify: ['ops'] } }]]), byImage: new Map(), configs: new Map() } as unknown as Registry
const event: BuildEvent = { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2' }
const record = (status: EventRecord['status'], targets: readonly TargetOutcome[] = []): EventRecord => ({ id: 'E1', source: 'acme/orders-api', deliveryId: 'd', event, receivedAt: '2026-12-01T06:00:00.000Z', status, attempts: 0, targets, updatedAt: '2026-12-01T06:00:00.000Z' })
const target: TargetOutcome = { service: 'orders-api', environment: 'prod', file: 'f.yaml', image: event.image, from: '1.4.1', to: '1.4.2', decision: 'skip', status: 'waiting', code: 'window-closed', reason: 'waiting for a deploy window: next opens 2026-12-01T08:00:00Z' }
const outcome: EventOutcome = { id: 'E1', status: 'waiting', code: 'window-closed', reason: target.reason, targets: [target] }
const ctx = { registry, now: new Date('2026-12-01T06:00:00Z') }

t.test('a target held by a window is told as waiting, with the reason', async (t) => {
  const out = noticesFor([outcome], [record('queued')], new Set(), ctx)
  t.match(out, [{ target: 'ops', key: 'orders-api', notice: { kind: 'waiting', environment: 'prod', from: '1.4.1', to: '1.4.2', reason: target.reason } }])
})

t.test('an event that waited already and still waits is not told again', async (t) => {
  t.same(noticesFor([outcome], [record('waiting', [target])], new Set(), ctx), [])
})

t.test('a target that waited for a window and now waits for a promotion is told again, once per cause', async (t) => {
  const promoting: TargetOutcome = { ...target, code: 'promotion-pending', reason: 'waiting for orders-api-dev to be healthy at 1.4.2' }
  const out = noticesFor([{ ...outcome, code: 'promotion-pending', targets: [promoting] }], [record('waiting', [target])], new Set(), ctx)
  t.match(out, [{ notice: { kind: 'waiting', reason: promoting.reason } }])
})

t.test('other skips are still not told', async (t) => {
  const skipped: EventOutcome = { id: 'E1', status: 'skipped', code: 'older', reason: 'x', targets: [{ ...target, status: 'skipped', code: 'older', reason: 'x' }] }
  t.same(noticesFor([skipped], [record('queued')], new Set(), ctx), [])
})
