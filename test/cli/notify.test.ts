import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { commits } from '../helpers/git-cli.js'
import { FALLBACK } from '../helpers/sign.js'
import { runCli, serveOnRemote } from '../helpers/cli-rig.js'

/**
 * `infra-sync notify` as source CI runs it: a real process against a real
 * server (`node dist/cli.js serve`) on a real remote. Exit codes and error
 * codes are the contract: 0 done, 1 refused or failed, 2 usage.
 */
const notify = (args: string[], env: Record<string, string | undefined> = {}) => runCli(['notify', ...args], { INFRA_SYNC_SECRET: FALLBACK, ...env })

/**
 * A front for the server that answers POST /v1/events by a fixed schedule
 * (503, 429 with Retry-After, a dropped connection) before passing requests
 * on, and keeps the webhook-id of every POST it saw.
 */
async function faultyFront(target: string, schedule: ('503' | '429' | 'drop')[]): Promise<{ url: string; ids: string[]; close: () => Promise<void> }> {
  const ids: string[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method === 'POST') {
        ids.push(String(req.headers['webhook-id']))
        const fault = schedule.shift()
        if (fault === 'drop') return req.socket.destroy()
        if (fault === '503') return res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"STORE_UNAVAILABLE","reason":"try later"}')
        if (fault === '429') return res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"code":"RATE_LIMITED","reason":"slow down"}')
      }
      const up = http.request(new URL(req.url!, target), { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers)
        r.pipe(res)
      })
      up.end(Buffer.concat(chunks))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ids, close: () => new Promise((r) => server.close(() => r())) }
}

t.test('notify', async (t) => {
  const { bare, git, server } = await serveOnRemote(t)
  const orders = ['--source', 'acme/orders-api', '--image', 'ghcr.io/acme/orders-api', '--ref', 'refs/heads/main']

  t.test('--wait through 503, 429 and a dropped connection: one event, one webhook-id, the commit printed', async (t) => {
    const front = await faultyFront(server.url, ['503', '429', 'drop'])
    t.teardown(front.close)
    const run = await notify(['--server', front.url, ...orders, '--tag', '1.4.2', '--wait'])
    t.equal(run.code, 0, run.stderr)
    t.equal(new Set(front.ids).size, 1, 'every attempt carried the same webhook-id')
    t.ok(front.ids.length >= 4, 'the faults were met before the event got through')
    const m = /^applied: (\S+)\/commit\/([0-9a-f]{40})\n$/.exec(run.stdout)
    t.ok(m, 'prints the commit page')
    t.equal(m?.[1], git.url.replace(/\.git$/, ''), "the commit page is on the infra repo's host and path")
    const carrying = commits(bare).filter((c) => c.sha === m?.[2])
    t.equal(carrying.length, 1)
    t.equal(carrying[0]?.events.length, 1, 'one event carried by the commit')
    t.notOk(run.stdout.includes(FALLBACK) || run.stderr.includes(FALLBACK), 'the secret is never printed')
  })

  t.test('without --wait: the id and status; --json prints the answer', async (t) => {
    const run = await notify(['--server', server.url, ...orders, '--tag', '1.4.3', '--json'])
    t.equal(run.code, 0, run.stderr)
    t.match(JSON.parse(run.stdout), { id: /^[0-9A-Z]{26}$/, status: 'queued' })
  })

  t.test('a skip that needs a person (no service deploys the image) exits 1; an older build is no failure', async (t) => {
    const none = await notify(['--server', server.url, '--source', 'acme/orders-api', '--image', 'ghcr.io/acme/not-deployed', '--ref', 'refs/heads/main', '--tag', '1.0.0', '--wait', '--json'])
    t.equal(none.code, 1)
    t.match(none.stderr, /\[EVENT_SKIPPED\]/)
    t.match(JSON.parse(none.stdout), { status: 'skipped', code: 'no-target' })
    const older = await notify(['--server', server.url, ...orders, '--tag', '0.9.0', '--wait', '--json'])
    t.equal(older.code, 0, older.stderr)
    t.match(JSON.parse(older.stdout), { status: 'skipped', targets: [{ code: 'older' }] })
  })

  t.test('a build of a service whose source is another repo is rejected: exit 1', async (t) => {
    const run = await notify(['--server', server.url, '--source', 'acme/payments', '--image', 'ghcr.io/acme/orders-api', '--ref', 'refs/heads/main', '--tag', '9.9.9', '--wait'])
    t.equal(run.code, 1)
    t.match(run.stderr, /\[EVENT_REJECTED\]/)
  })

  t.test("the server's refusal is final, with its code, and never retried into success", async (t) => {
    const run = await notify(['--server', server.url, ...orders, '--tag', '1.4.4'], { INFRA_SYNC_SECRET: 'not-the-servers-secret-0123456789' })
    t.equal(run.code, 1)
    t.match(run.stderr, /\[SIGNATURE_INVALID\]/)
    t.notOk(run.stderr.includes('not-the-servers-secret'), 'the secret is never printed')
  })

  t.test('usage errors exit 2 before anything is sent', async (t) => {
    const noTag = await notify(['--server', server.url, ...orders])
    t.equal(noTag.code, 2)
    t.match(noTag.stderr, /\[USAGE\]/)
    const badTag = await notify(['--server', server.url, ...orders, '--tag', 'no spaces'])
    t.equal(badTag.code, 2)
    const noSecret = await notify(['--server', server.url, ...orders, '--tag', '1.4.5'], { INFRA_SYNC_SECRET: undefined })
    t.equal(noSecret.code, 2)
    t.match(noSecret.stderr, /\[USAGE\]/)
    const badServer = await notify(['--server', 'not a url', ...orders, '--tag', '1.4.5'])
    t.equal(badServer.code, 2)
    const missingImage = await notify(['--server', server.url, '--source', 'acme/orders-api', '--tag', '1.4.5'])
    t.equal(missingImage.code, 2, 'a missing required option is commander usage')
  })

  t.test('in a GitHub Actions job the source, commit, ref and build link come from its variables', async (t) => {
    const sha = 'a'.repeat(40)
    const env = { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/orders-api', GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '42' }
    const run = await notify(['--server', server.url, '--image', 'ghcr.io/acme/orders-api', '--tag', '1.4.6', '--wait'], env)
    t.equal(run.code, 0, run.stderr)
    const head = commits(bare)[0]!
    t.match(run.stdout, head.sha)
    t.match((await import('node:child_process')).execFileSync('git', ['-C', bare, 'log', '-1', '--format=%B', 'main'], { encoding: 'utf8' }), `acme/orders-api@${sha}`, 'the source commit reached the commit message')
  })
})
