import net from 'node:net'
import path from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { commits, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, sharedTestServer, startTestServer } from '../helpers/server.js'
import { SECRET_A, SECRET_B, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

const event = (over: object = {}) => JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main', ...over })

// Two servers shared by the subtests that can share them (each server costs a worker thread's start).
// Short HTTP timeouts for the stalled clients; the other subtests on it use inject, which no socket timeout reaches.
const quickTimeouts = sharedTestServer(t, (root) => startTestServer(root, { location: makeBareRepo(tmpDir(root), exampleInfraFiles()), kind: 'local' }, { http: { headersTimeoutMs: 300, requestTimeoutMs: 600 } }))
const ADMIN_TOKEN = 'admin-token-0123456789abcdefghij'
// An operator's server whose orders-api dev file does not parse, so its event dies after two attempts.
const withAdmin = sharedTestServer(t, (root) => {
  const files = exampleInfraFiles()
  files['services/orders-api/overlays/dev/kustomization.yaml'] = 'images: [unclosed\n'
  const bare = makeBareRepo(tmpDir(root), files)
  return startTestServer(root, { location: bare, kind: 'local' }, { adminToken: ADMIN_TOKEN, worker: { pollMs: 20, retryBaseMs: 10, retryCapMs: 20, maxAttempts: 2 } })
})

t.test('per-source rate limit: 429 with Retry-After; other sources unaffected', async (t) => {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const server = await startTestServer(t, { location: bare, kind: 'local' }, { rateLimit: { perSecond: 0.5, burst: 2 } })
  const post = (secret: string, body: string) => server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(secret, body), payload: body })
  t.equal((await post(SECRET_A, event({ tag: '1.5.0' }))).statusCode, 202)
  t.equal((await post(SECRET_A, event({ tag: '1.5.1' }))).statusCode, 202)
  const limited = await post(SECRET_A, event({ tag: '1.5.2' }))
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'RATE_LIMITED')
  t.equal(limited.headers['retry-after'], '2')
  const other = await post(SECRET_B, JSON.stringify({ source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag: 'main-1', ref: 'refs/heads/main' }))
  t.equal(other.statusCode, 202, 'another source has its own bucket')
  const bad = await post('not-a-secret-of-anyone-0123456789', event({ tag: '9.9.9' }))
  t.equal(bad.statusCode, 401, 'unsigned requests are refused before the limiter, so they cannot use up a source’s budget')
})

t.test('a re-run CI job (new delivery id, same build) makes no second event and no second commit', async (t) => {
  // The first subtest on this server: its repo holds only the seed.
  const server = await quickTimeouts()
  const bare = server.config.repo.location
  const digest = `sha256:${'b'.repeat(64)}`
  const post = (body: string, id: string) => server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body, { id }), payload: body })
  const first = await post(event({ digest }), 'run-1')
  t.equal(first.statusCode, 202)
  await server.worker.whenIdle()
  const rerun = await post(event({ digest, buildUrl: 'https://ci.example/runs/2' }), 'run-2')
  t.equal(rerun.statusCode, 200)
  t.same(rerun.json(), { id: first.json().id, status: 'applied', duplicate: 'meaning' })
  const otherRef = await post(event({ digest, ref: 'refs/heads/release/1' }), 'run-3')
  t.equal(otherRef.statusCode, 202, 'the same digest from another ref is another event')
  await server.worker.whenIdle()
  t.equal(commits(bare).length, 2, 'seed + one deploy')
})

t.test('a store that cannot take the event answers 503 with Retry-After, never a 2xx', async (t) => {
  const server = await quickTimeouts()
  // A build of its own, so that no earlier subtest's event on this server makes it a duplicate.
  const body = event({ tag: '1.5.0' })
  // Another process holds SQLite's write lock for longer than intake waits (5 s).
  const holder = new Database(path.join(server.config.dataDir, 'infra-sync.db'))
  holder.exec('BEGIN EXCLUSIVE')
  const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })
  holder.exec('ROLLBACK')
  holder.close()
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'STORE_UNAVAILABLE')
  t.equal(res.headers['retry-after'], '5')
  const after = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })
  t.equal(after.statusCode, 202, 'the same event is taken once the store is back')
})

t.test('a client that stalls is cut off', async (t) => {
  const server = await quickTimeouts()
  const url = new URL(server.url!)
  const stall = (first: string) =>
    new Promise<number>((resolve) => {
      const started = Date.now()
      const s = net.connect(Number(url.port), '127.0.0.1', () => s.write(first))
      s.on('data', () => undefined)
      s.on('close', () => resolve(Date.now() - started))
      s.on('error', () => undefined)
    })
  const headers = await stall('POST /v1/events HTTP/1.1\r\nHost: x\r\n')
  t.ok(headers < 5000, `stalled headers closed after ${headers} ms`)
  // Signed headers, so the request gets past the checks made before the body is read.
  const signed = Object.entries(signedHeaders(SECRET_A, event())).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  const body = await stall(`POST /v1/events HTTP/1.1\r\nHost: x\r\n${signed}Content-Length: 1000\r\n\r\n{"source":`)
  t.ok(body < 5000, `stalled body closed after ${body} ms`)
})

t.test('dead letters: list them, retry one; operators only', async (t) => {
  const server = await withAdmin()
  const bare = server.config.repo.location
  const token = ADMIN_TOKEN
  const body = event()
  const id = (await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })).json().id
  await eventually(async () => ((await server.store.get(id))?.status === 'dead' ? true : undefined))
  const auth = { authorization: `Bearer ${token}` }
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/events?status=dead' })).statusCode, 401, 'no token')
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/events?status=dead', headers: { authorization: 'Bearer wrong' } })).json().code, 'ADMIN_UNAUTHORIZED')
  const list = await server.app.inject({ method: 'GET', url: '/v1/events?status=dead', headers: auth })
  t.equal(list.statusCode, 200)
  t.same(list.json().events.map((e: { id: string; code: string }) => [e.id, e.code]), [[id, 'YAML_INVALID']])
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/events?status=nope', headers: auth })).statusCode, 400)
  t.equal((await server.app.inject({ method: 'GET', url: '/v1/events', headers: auth })).statusCode, 400, 'status is required')

  // The file is fixed in git; the operator retries the dead event.
  const { git } = await import('../helpers/git-cli.js')
  const dir = tmpDir(t)
  git(dir, 'clone', '-q', bare, 'w')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(path.join(dir, 'w', 'services/orders-api/overlays/dev/kustomization.yaml'), 'images:\n- name: ghcr.io/acme/orders-api\n  newTag: 1.4.1\n')
  git(path.join(dir, 'w'), '-c', 'user.name=h', '-c', 'user.email=h@x', 'commit', '-q', '-am', 'fix')
  git(path.join(dir, 'w'), 'push', '-q', 'origin', 'main')
  const retried = await server.app.inject({ method: 'POST', url: `/v1/events/${id}/retry`, headers: auth })
  t.equal(retried.statusCode, 200)
  t.equal(retried.json().status, 'queued')
  t.equal(retried.json().attempts, 0)
  const applied = await eventually(async () => {
    const r = await server.store.get(id)
    return r?.status === 'applied' ? r : undefined
  })
  t.equal(commits(bare)[0]!.sha, applied.commit)
  const again = await server.app.inject({ method: 'POST', url: `/v1/events/${id}/retry`, headers: auth })
  t.equal(again.statusCode, 409)
  t.equal(again.json().code, 'EVENT_NOT_RETRYABLE')
  t.equal((await server.app.inject({ method: 'POST', url: '/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/retry', headers: auth })).statusCode, 404)
})

t.test('without an admin token, the operator endpoints answer nobody, except this machine on the embedded default', async (t) => {
  const configured = await quickTimeouts()
  // A configured deployment: a proxy or sidecar on the same machine is not the operator.
  for (const remoteAddress of ['127.0.0.1', '::1', '10.1.2.3']) {
    const res = await configured.app.inject({ method: 'GET', url: '/v1/events?status=dead', remoteAddress })
    t.equal(res.statusCode, 403, remoteAddress)
    t.equal(res.json().code, 'ADMIN_TOKEN_REQUIRED', remoteAddress)
  }
  t.equal((await configured.app.inject({ method: 'POST', url: '/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/retry' })).json().code, 'ADMIN_TOKEN_REQUIRED')

  const embedded = await startTestServer(t, { location: path.join(tmpDir(t), 'infra'), kind: 'local' }, { embeddedRepo: true })
  t.equal((await embedded.app.inject({ method: 'GET', url: '/v1/events?status=dead' })).statusCode, 200, 'the embedded default, from this machine')
  const remote = await embedded.app.inject({ method: 'GET', url: '/v1/events?status=dead', remoteAddress: '10.1.2.3' })
  t.equal(remote.statusCode, 403)
  t.equal(remote.json().code, 'ADMIN_TOKEN_REQUIRED')
})

t.test('the admin token must match exactly', async (t) => {
  const server = await withAdmin()
  const token = ADMIN_TOKEN
  const get = (authorization?: string) => server.app.inject({ method: 'GET', url: '/v1/events?status=dead', headers: authorization === undefined ? {} : { authorization } })
  t.equal((await get(`Bearer ${token}`)).statusCode, 200)
  const wrong = [`Bearer ${token.slice(0, -1)}X`, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `bearer ${token}`, token, 'Bearer ', '', `Bearer ${token} `]
  for (const w of wrong) t.equal((await get(w)).json().code, 'ADMIN_UNAUTHORIZED', JSON.stringify(w))
})
