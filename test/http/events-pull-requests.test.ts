import path from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { TargetOutcome } from '../../src/core/change-set.js'
import { errorHandler } from '../../src/http/error-handler.js'
import { eventRoutes, type EventRoutesDeps } from '../../src/http/routes/events.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { tmpDir } from '../helpers/tmp.js'

/** GET /v1/events/:id and the list: pull-request statuses, and each target's status and pull request, as the store holds them. */
const IMAGE = 'ghcr.io/acme/orders-api'
const PR = { number: 4, url: 'https://github.com/acme/infra/pull/4', state: 'open' as const }

async function setup(t: Parameters<Parameters<typeof t.test>[1]>[0]) {
  const store = new SqliteStore(path.join(tmpDir(t), 'x.db'))
  await store.init()
  const app = Fastify()
  app.setErrorHandler(errorHandler)
  // Only the read routes run here: intake's dependencies are never reached.
  const deps = { store, keys: () => ({ bySource: new Map(), fallback: [] }), clock: () => new Date(), onAccepted: () => {}, adminLoopback: true } as unknown as EventRoutesDeps
  await app.register(eventRoutes, deps)
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  return { store, app }
}

const base = { service: 'orders', file: 'services/orders/overlays/x/kustomization.yaml', image: IMAGE, from: '1.0.0', to: '1.1.0', reason: '1.0.0 → 1.1.0' }

t.test('an event with dev applied and prod in a pull request reads proposed, each target with its status', async (t) => {
  const { store, app } = await setup(t)
  const event: BuildEvent = { source: 'acme/orders-api', image: IMAGE, tag: '1.1.0', ref: 'refs/heads/main' }
  const { id } = await store.accept({ source: 'acme/orders-api', deliveryId: 'd1', event, receivedAt: new Date() })
  const targets: TargetOutcome[] = [
    // Written as before pull requests: no status, read from its decision.
    { ...base, environment: 'dev', decision: 'update', code: 'updated', update: 'commit' },
    { ...base, environment: 'prod', decision: 'update', code: 'updated', update: 'pull-request', status: 'proposed', pullRequest: PR },
  ]
  await store.finish([{ kind: 'final', outcome: { id, status: 'proposed', targets }, commit: 'c'.repeat(40) }], [], new Date())

  const res = await app.inject({ method: 'GET', url: `/v1/events/${id}` })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.status, 'proposed')
  t.same(body.pullRequest, PR)
  t.same(body.targets.map((x: { environment: string; status: string; pullRequest?: unknown }) => [x.environment, x.status, x.pullRequest]), [
    ['dev', 'applied', undefined],
    ['prod', 'proposed', PR],
  ])

  const list = await app.inject({ method: 'GET', url: '/v1/events?status=proposed' })
  t.equal(list.statusCode, 200)
  t.same(list.json().events.map((e: { id: string }) => e.id), [id])
  for (const status of ['superseded', 'declined']) {
    t.equal((await app.inject({ method: 'GET', url: `/v1/events?status=${status}` })).statusCode, 200, `${status} is a status to list`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/events?status=merged' })).statusCode, 400)
})
