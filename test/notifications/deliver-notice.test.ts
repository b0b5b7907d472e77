import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { deliverNotice } from '../../src/notifications/deliver-notice.js'
import type { Notice } from '../../src/notifications/notice.js'
import { notificationTargets } from '../../src/notifications/targets.js'

const SECRET = `whsec_${Buffer.from('a-webhook-secret-of-32-bytes!!!!').toString('base64')}`
const notice: Notice = { kind: 'applied', service: 'orders-api', environment: 'dev', image: 'ghcr.io/acme/orders-api', from: '1.4.1', to: '1.4.2', commitUrl: 'https://github.com/acme/infra/commit/abc', at: '2026-11-30T10:00:00Z' }

interface Received {
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** A receiver that answers each request with the next status of `answers` (then 200), and keeps what it got. */
async function receiver(t: Tap.Test, answers: number[] = []): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      res.writeHead(answers.shift() ?? 200, { 'content-type': 'text/plain' }).end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secret-token`, got }
}

t.test('a generic webhook: the notice as JSON, signed per Standard Webhooks, its id the message id on every try', async (t) => {
  const r = await receiver(t, [503])
  const target = notificationTargets({ audit: { webhook: { url: r.url, secret: SECRET } } }, {}).get('audit')!
  await t.rejects(deliverNotice(target, notice, 'msg_1', new Date()), { code: 'NOTIFICATION_FAILED', retryable: true, data: { status: 503 } })
  await deliverNotice(target, notice, 'msg_1', new Date())
  t.equal(r.got.length, 2)
  t.same(r.got.map((g) => g.headers['webhook-id']), ['msg_1', 'msg_1'])
  const verified = new Webhook(SECRET).verify(r.got[1]!.body, r.got[1]!.headers as Record<string, string>) as Notice & { type: string }
  t.match(verified, { type: 'deploy.applied', service: 'orders-api', to: '1.4.2' })
})

t.test('a 4xx other than 408/429 is final; a target that cannot be reached is retried', async (t) => {
  const r = await receiver(t, [400, 429])
  const target = notificationTargets({ audit: { webhook: { url: r.url, secret: SECRET } } }, {}).get('audit')!
  await t.rejects(deliverNotice(target, notice, 'm', new Date()), { code: 'NOTIFICATION_FAILED', retryable: false })
  await t.rejects(deliverNotice(target, notice, 'm', new Date()), { code: 'NOTIFICATION_FAILED', retryable: true })
  const gone = notificationTargets({ audit: { webhook: { url: 'http://127.0.0.1:1/x', secret: SECRET } } }, {}).get('audit')!
  await t.rejects(deliverNotice(gone, notice, 'm', new Date()), { code: 'NOTIFICATION_FAILED', retryable: true })
})

t.test('Slack: a Block Kit message to the incoming webhook; its URL, which holds a token, is never in an error', async (t) => {
  const r = await receiver(t, [404])
  const target = notificationTargets({ ops: { slack: { urlEnv: 'OPS_SLACK' } } }, { OPS_SLACK: r.url }).get('ops')!
  const failed = await deliverNotice(target, notice, 'm', new Date()).then(() => null, (e: Error & { code: string; retryable: boolean }) => e)
  t.match(failed, { code: 'NOTIFICATION_FAILED', retryable: false })
  t.notMatch(JSON.stringify({ m: failed?.message, d: (failed as { data?: unknown })?.data }), 'secret-token')
  await deliverNotice(target, notice, 'm', new Date())
  const sent = JSON.parse(r.got[1]!.body) as { text: string; blocks: { type: string }[] }
  t.equal(sent.text, 'orders-api/dev deployed: 1.4.1 → 1.4.2')
  t.equal(sent.blocks[0]!.type, 'header')
})

t.test('targets: exactly one kind, a URL, a strong secret; what is wrong is named, never the secret', async (t) => {
  const bad: [Record<string, unknown>, Record<string, string>, string][] = [
    [{ x: {} }, {}, 'notifications.targets.x'],
    [{ x: { slack: { url: 'https://h/a' }, webhook: { url: 'https://h/b', secret: SECRET } } }, {}, 'notifications.targets.x'],
    [{ x: { slack: { urlEnv: 'NOPE' } } }, {}, 'notifications.targets.x.slack.url'],
    [{ x: { slack: { url: 'ftp://h/a' } } }, {}, 'notifications.targets.x.slack.url'],
    [{ x: { webhook: { url: 'https://h/b', secret: 'short-secret' } } }, {}, 'notifications.targets.x.webhook.secret'],
    [{ x: { webhook: { url: 'https://h/b', secret: SECRET, secretEnv: 'S' } } }, { S: SECRET }, 'notifications.targets.x.webhook.secret'],
  ]
  for (const [entries, env, path] of bad) {
    t.throws(() => notificationTargets(entries as never, env), { code: 'CONFIG_INVALID', data: { path } }, path)
  }
  try {
    notificationTargets({ x: { webhook: { url: 'https://h/b', secret: 'short-secret' } } }, {})
  } catch (e) {
    t.notMatch((e as Error).message, 'short-secret')
  }
})
