import fc from 'fast-check'
import t from 'tap'
import { parseBuildEvent } from '../../src/core/build-event.js'
import { makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, signedHeaders } from '../helpers/sign.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * Correctly signed but arbitrary bodies, through the real app and store:
 * never a 5xx, never a crash, and whatever is accepted is a valid event.
 */
const field = fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 2 }))
const eventish = fc.record(
  {
    source: fc.oneof(fc.constant('acme/orders-api'), field),
    image: fc.oneof(fc.constant('ghcr.io/acme/orders-api'), fc.stringMatching(/^[a-zA-Z0-9./:@_-]{0,60}$/), field),
    tag: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{0,140}$/), field),
    digest: fc.oneof(fc.stringMatching(/^sha256:[0-9a-f]{60,68}$/), field),
    ref: fc.oneof(fc.constant('refs/heads/main'), field),
    builtAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), field),
    buildUrl: fc.oneof(fc.webUrl(), field),
    commit: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), field),
  },
  { requiredKeys: [] },
)
// Mostly valid, one field at a time wrong: reaches the deepest checks and the store.
const nearValid = fc.record({
  source: fc.constant('acme/orders-api'),
  image: fc.oneof({ arbitrary: fc.constant('ghcr.io/acme/orders-api'), weight: 4 }, { arbitrary: field, weight: 1 }),
  tag: fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), weight: 4 }, { arbitrary: field, weight: 1 }),
  ref: fc.oneof({ arbitrary: fc.constant('refs/heads/main'), weight: 4 }, { arbitrary: field, weight: 1 }),
  builtAt: fc.oneof(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()), field),
})
const body = fc.oneof(
  nearValid.map((e) => JSON.stringify(e)),
  eventish.map((e) => JSON.stringify(e)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
)

t.test('property: signed arbitrary bodies never produce a 5xx', async (t) => {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const server = await startTestServer(t, { location: bare, kind: 'local' }, { worker: { pollMs: 60_000 } })
  const statuses = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(body, async (payload) => {
      const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, payload, { source: 'acme/orders-api' }), payload })
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      if (res.statusCode >= 500) return false
      if (res.statusCode === 202) {
        const stored = await server.store.get(res.json().id)
        parseBuildEvent(stored!.event)
      } else if (res.statusCode >= 400 && typeof res.json().code !== 'string') return false
      return true
    }),
    { numRuns: 400 },
  )
  t.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(202) ?? 0) > 0, `answers seen: ${JSON.stringify([...statuses])}`)
  const health = await server.app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200, 'still serving')
})
