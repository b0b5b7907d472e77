import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { GitHttpClient } from '../../src/git/http-client.js'

/**
 * GitHttpClient.stream: the body arrives as it is sent, silence on the
 * socket is a TIMEOUT even in the middle of the body, the overall bound
 * holds against a server that trickles, and a cut body is a GitRemoteError.
 */
async function serve(t: Tap, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git/git-upload-pack`
}
type Tap = Parameters<Parameters<typeof t.test>[1]>[0]

async function drain(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of body) chunks.push(c)
  return Buffer.concat(chunks)
}

t.test('the body streams; headers and status come first; the User-Agent is git/', async (t) => {
  let ua = ''
  const url = await serve(t, (req, res) => {
    ua = req.headers['user-agent'] ?? ''
    res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' })
    res.write('first ')
    setTimeout(() => res.end('second'), 50)
  })
  const client = new GitHttpClient()
  t.teardown(() => client.close())
  const res = await client.stream(url, 'POST', {}, Buffer.from('0000'))
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/x-git-upload-pack-result')
  t.equal((await drain(res.body)).toString(), 'first second')
  t.match(ua, /^git\//)
})

t.test('silence in the middle of the body is a TIMEOUT', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(200)
    res.write('some of the pack')
    // …and nothing more, the connection held open.
  })
  const client = new GitHttpClient({ idleTimeoutMs: 300 })
  t.teardown(() => client.close())
  const res = await client.stream(url, 'POST', {}, Buffer.alloc(0))
  await t.rejects(drain(res.body), { code: 'GIT_REMOTE', data: { cause: 'TIMEOUT' } })
})

t.test('a server that trickles forever meets the overall bound; the whole-request deadline of simple() does not apply', async (t) => {
  const timers = new Set<NodeJS.Timeout>()
  t.teardown(() => timers.forEach((x) => clearInterval(x)))
  const url = await serve(t, (req, res) => {
    res.writeHead(200)
    const timer = setInterval(() => res.write('.'), 20)
    timers.add(timer)
    if (req.url?.includes('finite')) setTimeout(() => (clearInterval(timer), res.end('done')), 1200)
    res.on('close', () => clearInterval(timer))
  })
  const client = new GitHttpClient({ idleTimeoutMs: 1000, deadlineMs: 300, streamDeadlineMs: 10_000 })
  t.teardown(() => client.close())
  const finite = await client.stream(`${url}?finite`, 'POST', {}, Buffer.alloc(0))
  t.match((await drain(finite.body)).toString(), /done$/, 'a body longer than deadlineMs but active is read whole')
  const bounded = new GitHttpClient({ idleTimeoutMs: 1000, streamDeadlineMs: 600 })
  t.teardown(() => bounded.close())
  const endless = await bounded.stream(url, 'POST', {}, Buffer.alloc(0))
  await t.rejects(drain(endless.body), { code: 'GIT_REMOTE', data: { cause: 'TIMEOUT' } })
})

t.test('a body cut by the server is a GitRemoteError, and the URL in it carries no credentials', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100000' })
    res.write('partial')
    setTimeout(() => res.socket?.destroy(), 20)
  })
  const client = new GitHttpClient()
  t.teardown(() => client.close())
  const withCreds = url.replace('http://', 'http://user:s3cr3t@')
  const res = await client.stream(withCreds, 'POST', {}, Buffer.alloc(0))
  const err = await drain(res.body).catch((e: unknown) => e)
  t.match(err, { code: 'GIT_REMOTE' })
  t.notMatch(JSON.stringify({ m: (err as Error).message, d: (err as { data?: unknown }).data }), /s3cr3t/)
})

t.test('an abort signal stops a streamed body', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(200)
    res.write('start')
  })
  const client = new GitHttpClient()
  t.teardown(() => client.close())
  const ac = new AbortController()
  const res = await client.stream(url, 'POST', {}, Buffer.alloc(0), ac.signal)
  setTimeout(() => ac.abort(), 50)
  await t.rejects(drain(res.body), { code: 'GIT_REMOTE' })
})
