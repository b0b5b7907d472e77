import t from 'tap'
import { makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { FALLBACK, SECRET_A, signedHeaders } from '../helpers/sign.js'
import { tmpDir } from '../helpers/tmp.js'

/** emergency: true on POST /v1/events: accepted only from a source allowed to (sources.<repo>.emergency), else 403 and nothing stored. */
const body = (over: object) => JSON.stringify({ image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main', ...over })

t.test('emergency events: allowed sources only', async (t) => {
  const server = await startTestServer(t, { location: makeBareRepo(tmpDir(t), exampleInfraFiles()), kind: 'local' }, { emergencySources: new Set(['acme/orders-api']) })
  const post = (secret: string, payload: string, id?: string) => server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(secret, payload, id ? { id } : {}), payload })

  const allowed = await post(SECRET_A, body({ source: 'acme/orders-api', emergency: true }))
  t.equal(allowed.statusCode, 202)
  t.match(await server.store.get(allowed.json().id), { event: { emergency: true } }, 'the field is kept with the event')

  const forbidden = await post(FALLBACK, body({ source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.1.0', emergency: true }), 'msg_forbidden_1')
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().code, 'EMERGENCY_FORBIDDEN')
  const again = await post(FALLBACK, body({ source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.1.0' }), 'msg_forbidden_1')
  t.equal(again.statusCode, 202, 'nothing was stored under the refused delivery')

  const plain = await post(FALLBACK, body({ source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.1.1', emergency: false }))
  t.equal(plain.statusCode, 202, 'emergency: false is any event')
  t.equal((await server.store.get(plain.json().id))!.event.emergency, undefined)

  const bad = await post(FALLBACK, body({ source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.1.2', emergency: 'yes' }))
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'INVALID_EVENT')
})
