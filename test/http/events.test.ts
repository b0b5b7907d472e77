import net from 'node:net'
import t from 'tap'
import { commits, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, sharedTestServer, startTestServer, type TestServer } from '../helpers/server.js'
import { FALLBACK, SECRET_A, SECRET_B, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

const event = (over: object = {}) => JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8', ...over })

// The subtests share two servers (each server costs a worker thread's start). Each subtest sends a
// build of its own (tag), so none is a duplicate of another's, and counts what it added.
const shared = sharedTestServer(t, (root) => startTestServer(root, { location: makeBareRepo(tmpDir(root), exampleInfraFiles()), kind: 'local' }))
async function setup() {
  const server = await shared()
  return { bare: server.config.repo.location, server }
}
// No fallback secret; HTTP timeouts long enough that a server waiting for a body would never answer within a test.
const noFallback = sharedTestServer(t, (root) =>
  startTestServer(root, { location: makeBareRepo(tmpDir(root), exampleInfraFiles()), kind: 'local' }, {
    secrets: { bySource: new Map([['acme/orders-api', [SECRET_A]]]), fallback: [], github: [], githubBySource: new Map() },
    http: { headersTimeoutMs: 60_000, requestTimeoutMs: 120_000 },
  }),
)

const total = async (server: { store: { counts(): Promise<Record<string, number>> } }) => Object.values(await server.store.counts()).reduce((a, b) => a + b, 0)
const received = async (server: TestServer, result: 'accepted' | 'refused') => {
  const body = (await server.app.inject({ url: '/metrics' })).body
  return Number(new RegExp(`infra_sync_events_received_total\\{result="${result}"\\} (\\d+)`).exec(body)?.[1] ?? 0)
}

t.test('accepts a signed event with 202 after storing it, and applies it', async (t) => {
  // The first subtest on its server: orders-api is still at 1.4.1.
  const { bare, server } = await setup()
  const body = event()
  const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })
  t.equal(res.statusCode, 202)
  const { id, status } = res.json()
  t.equal(status, 'queued')
  t.match(id, /^[0-9A-Z]{26}$/)
  t.equal(res.headers.location, `/v1/events/${id}`)
  t.ok(await server.store.get(id), 'durably stored when the 202 went out')
  const done = await eventually(async () => {
    const r = (await server.app.inject({ method: 'GET', url: `/v1/events/${id}` })).json()
    return r.status === 'queued' ? undefined : r
  })
  t.equal(done.status, 'applied')
  t.match(done.commit, /^[0-9a-f]{40}$/)
  t.same(done.targets.map((x: { environment: string; decision: string; from: string; to: string }) => [x.environment, x.decision, x.from, x.to]), [
    ['dev', 'update', '1.4.1', '1.4.2'],
    ['prod', 'skip', '1.4.1', '1.4.2'],
  ])
  t.equal(commits(bare)[0]!.sha, done.commit)
})

t.test('a redelivery (same webhook-id) answers 200 with the same id and makes no second commit', async (t) => {
  const { bare, server } = await setup()
  const [commitsBefore, totalBefore] = [commits(bare).length, await total(server)]
  const body = event({ tag: '1.4.3' })
  const headers = signedHeaders(SECRET_A, body, { id: 'delivery-1' })
  const first = await server.app.inject({ method: 'POST', url: '/v1/events', headers, payload: body })
  t.equal(first.statusCode, 202)
  await eventually(async () => ((await server.store.get(first.json().id))!.status === 'applied' ? true : undefined))
  const again = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body, { id: 'delivery-1' }), payload: body })
  t.equal(again.statusCode, 200)
  t.same(again.json(), { id: first.json().id, status: 'applied', duplicate: 'delivery' })
  await server.worker.whenIdle()
  t.equal(commits(bare).length, commitsBefore + 1, 'one deploy')
  t.equal(await total(server), totalBefore + 1)
})

t.test('refusals: a status, a code and a reason, and nothing stored', async (t) => {
  const { server } = await setup()
  const before = await total(server)
  const good = event()
  const big = event({ buildUrl: `https://ci.example/${'x'.repeat(1024 * 1024)}` })
  const stale = signedHeaders(SECRET_A, good, { timestamp: Math.floor(Date.now() / 1000) - 600 })
  const cases: [string, Record<string, string>, string, number, string][] = [
    ['no signature', { 'content-type': 'application/json' }, good, 401, 'SIGNATURE_MISSING'],
    ['wrong secret', signedHeaders('some-other-secret-0123456789abcd', good), good, 401, 'SIGNATURE_INVALID'],
    ['tampered body', signedHeaders(SECRET_A, good), good.replace('1.4.2', '9.9.9'), 401, 'SIGNATURE_INVALID'],
    ['stale timestamp', stale, good, 401, 'TIMESTAMP_OUT_OF_RANGE'],
    ["another source's secret, naming the event's source", signedHeaders(SECRET_B, good), good, 401, 'SIGNATURE_INVALID'],
    ["another source's secret, naming that source", signedHeaders(SECRET_B, good, { source: 'acme/payments' }), good, 403, 'SOURCE_FORBIDDEN'],
    ['fallback naming no source, for a source with its own secret', signedHeaders(FALLBACK, good, { source: null }), good, 403, 'SOURCE_FORBIDDEN'],
    ['fallback naming a source with its own secret', signedHeaders(FALLBACK, good), good, 401, 'SIGNATURE_INVALID'],
    ['a source name that is not owner/repo', signedHeaders(SECRET_A, good, { source: 'orders-api' }), good, 400, 'INVALID_INPUT'],
    ['malformed JSON', signedHeaders(FALLBACK, '{"source":'), '{"source":', 400, 'INVALID_JSON'],
    ['missing tag', signedHeaders(SECRET_A, event({ tag: undefined })), event({ tag: undefined }), 400, 'INVALID_EVENT'],
    ['invalid tag', signedHeaders(SECRET_A, event({ tag: 'no spaces allowed' })), event({ tag: 'no spaces allowed' }), 400, 'INVALID_IMAGE_REF'],
    ['invalid image', signedHeaders(SECRET_A, event({ image: 'GHCR.io/Acme/X:1' })), event({ image: 'GHCR.io/Acme/X:1' }), 400, 'INVALID_IMAGE_REF'],
    ['over 1 MiB', signedHeaders(SECRET_A, big), big, 413, 'PAYLOAD_TOO_LARGE'],
    ['not JSON content', { ...signedHeaders(SECRET_A, good), 'content-type': 'text/plain' }, good, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ]
  for (const [name, headers, payload, status, code] of cases) {
    const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers, payload })
    t.equal(res.statusCode, status, name)
    t.equal(res.json().code, code, name)
    t.type(res.json().reason, 'string')
  }
  t.equal(await total(server), before, 'nothing was stored')
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV' })).json().code, 'NOT_FOUND')
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/events/../../etc' })).statusCode, 404)
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/events/not-an-id' })).json().code, 'INVALID_INPUT')
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode, 404)
})

t.test('health, readiness and metrics', async (t) => {
  const { server } = await setup()
  t.same((await server.app.inject({ url: '/healthz' })).json(), { status: 'ok' })
  // Ready once the worker has fetched the repo.
  const ready = await eventually(async () => {
    const r = await server.app.inject({ url: '/readyz' })
    return r.statusCode === 200 ? r : undefined
  })
  t.equal(ready.json().checks.store, 'ok')
  const [accepted, refused] = [await received(server, 'accepted'), await received(server, 'refused')]
  const body = event({ tag: '1.4.4' })
  await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })
  await server.app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: body })
  const metrics = await server.app.inject({ url: '/metrics' })
  t.match(metrics.headers['content-type'], /text\/plain/)
  t.match(metrics.body, new RegExp(`^infra_sync_events_received_total\\{result="accepted"\\} ${accepted + 1}$`, 'm'))
  t.match(metrics.body, new RegExp(`^infra_sync_events_received_total\\{result="refused"\\} ${refused + 1}$`, 'm'))
})

t.test('over a real socket, the same contract', async (t) => {
  const { server } = await setup()
  const body = event({ tag: '1.4.5' })
  const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(SECRET_A, body), body })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  const bad = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(SECRET_A, body), body: `${body} ` })
  t.equal(bad.status, 401)
  const status = await eventually(async () => {
    const r = (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as { status: string }
    return r.status === 'applied' ? r : undefined
  })
  t.equal(status.status, 'applied')
})

t.test('?source= names the source as the header does, for senders that cannot set headers', async (t) => {
  const { server } = await setup()
  const before = await total(server)
  const body = event({ tag: '1.4.6' })
  const res = await server.app.inject({ method: 'POST', url: '/v1/events?source=acme/orders-api', headers: signedHeaders(SECRET_A, body, { source: null }), payload: body })
  t.equal(res.statusCode, 202)
  const other = await server.app.inject({ method: 'POST', url: '/v1/events?source=acme/payments', headers: signedHeaders(SECRET_B, body, { source: null }), payload: body })
  t.equal(other.json().code, 'SOURCE_FORBIDDEN', "payments' secret cannot send orders-api's event")
  t.equal(await total(server), before + 1)
})

t.test('with no fallback secret, a request must name its source', async (t) => {
  // The first subtest on its server.
  const server = await noFallback()
  const body = event()
  const unnamed = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body, { source: null }), payload: body })
  t.equal(unnamed.statusCode, 401)
  t.equal(unnamed.json().code, 'SOURCE_REQUIRED')
  const web = JSON.stringify({ source: 'acme/web', image: 'ghcr.io/acme/web', tag: '1', ref: 'refs/heads/main' })
  const unknown = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, web), payload: web })
  t.equal(unknown.statusCode, 401)
  t.equal(unknown.json().code, 'SOURCE_UNKNOWN')
  t.equal((await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })).statusCode, 202, 'named, it is verified with its own secret')
  t.equal(await total(server), 1)
})

/** Sends the headers of a POST with a body it never sends; resolves with the first response head (or what came before the socket closed). */
function headersOnly(url: string, head: Record<string, string>, length: number): Promise<string> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      const lines = Object.entries({ host: u.host, 'content-length': String(length), ...head }).map(([k, v]) => `${k}: ${v}`)
      s.write(`POST ${u.pathname}${u.search} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`)
    })
    let got = ''
    s.on('data', (c) => {
      got += c.toString()
      if (got.includes('\r\n\r\n') && got.includes('}')) {
        s.destroy()
        resolve(got)
      }
    })
    s.on('close', () => resolve(got))
    s.on('error', reject)
  })
}

t.test('a request without usable signature headers is refused before its body is read', async (t) => {
  const server = await noFallback()
  const before = await total(server)
  const size = 1024 * 1024 - 1024
  const signed = signedHeaders(SECRET_A, event())
  const cases: [string, Record<string, string>, string][] = [
    ['no signature headers', { 'content-type': 'application/json' }, 'SIGNATURE_MISSING'],
    ['a stale timestamp', signedHeaders(SECRET_A, event(), { timestamp: Math.floor(Date.now() / 1000) - 600 }), 'TIMESTAMP_OUT_OF_RANGE'],
    ['a malformed signature', { ...signed, 'webhook-signature': 'v1,not-base64!' }, 'SIGNATURE_INVALID'],
    ['no source named, no fallback', signedHeaders(SECRET_A, event(), { source: null }), 'SOURCE_REQUIRED'],
    ['a source with no secret', { ...signed, 'infra-sync-source': 'acme/web' }, 'SOURCE_UNKNOWN'],
  ]
  for (const [name, head, code] of cases) {
    const answer = await headersOnly(`${server.url}/v1/events`, head, size)
    t.match(answer, /^HTTP\/1\.1 401 /, name)
    t.match(answer, `"code":"${code}"`, name)
  }
  t.equal(await total(server), before)
})
