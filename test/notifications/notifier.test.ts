import t from 'tap'
import { NotificationError } from '../../src/notifications/deliver-notice.js'
import type { Notice } from '../../src/notifications/notice.js'
import { Notifier } from '../../src/notifications/notifier.js'
import type { NotificationTarget } from '../../src/notifications/targets.js'
import { openStore } from '../../src/store/open-store.js'

const notice = (service: string, to: string): Notice => ({ kind: 'applied', service, environment: 'dev', image: `ghcr.io/acme/${service}`, to, at: '2026-11-30T10:00:00.000Z' })
const TARGETS = new Map<string, NotificationTarget>([
  ['audit', { name: 'audit', kind: 'webhook', url: 'https://audit.example/hook', secret: 'a-secret-that-is-long-enough-0123' }],
  ['ops', { name: 'ops', kind: 'slack', url: 'https://hooks.slack.example/x' }],
])
const log = { info() {}, warn() {}, error() {}, debug() {} }

t.test('a receiver down for ten minutes gets every message within a cap of coming back, in order per service, none twice', async (t) => {
  const store = await openStore('sqlite::memory:')
  await store.init()
  t.teardown(() => store.close())
  let now = Date.parse('2026-11-30T10:00:00.000Z')
  const backUpAt = now + 10 * 60_000
  const sent: { target: string; id: string; to: string; at: number }[] = []
  const notifier = new Notifier({
    outbox: store.outbox,
    targets: TARGETS,
    log,
    clock: () => new Date(now),
    random: () => 0.5,
    deliver: async (target, n, id) => {
      if (target.name === 'audit' && now < backUpAt) throw new NotificationError('down', { target: 'audit', status: 503 }, true)
      sent.push({ target: target.name, id, to: `${n.service} ${n.to}`, at: now })
    },
  })
  await store.outbox.add([1, 2, 3].flatMap((i) => [{ target: 'audit', key: 'api', notice: notice('api', `1.0.${i}`) }, { target: 'ops', key: 'api', notice: notice('api', `1.0.${i}`) }]), new Date(now))
  await store.outbox.add([{ target: 'audit', key: 'web', notice: notice('web', '2.0.0') }], new Date(now))
  // The worker drains about once a second; here, every 5 s of a fake clock for 12 minutes.
  for (; now < backUpAt + 2 * 60_000; now += 5_000) await notifier.drain()
  t.same(sent.filter((s) => s.target === 'ops').map((s) => s.to), ['api 1.0.1', 'api 1.0.2', 'api 1.0.3'], 'the working target was never held back')
  const audit = sent.filter((s) => s.target === 'audit')
  t.same(audit.filter((s) => s.to.startsWith('api')).map((s) => s.to), ['api 1.0.1', 'api 1.0.2', 'api 1.0.3'], 'in order per service')
  t.same(audit.map((s) => s.to).sort(), ['api 1.0.1', 'api 1.0.2', 'api 1.0.3', 'web 2.0.0'], 'every message')
  t.equal(new Set(sent.map((s) => s.id)).size, sent.length, 'none twice')
  t.ok(audit.every((s) => s.at - backUpAt <= 35_000), 'all within the 30 s cap (plus one drain) of the receiver coming back')
  t.same(await store.outbox.due(new Date(now), 10), [], 'nothing left')
})

t.test('refused for good, or a target no longer configured: dropped, and the next one goes', async (t) => {
  const store = await openStore('sqlite::memory:')
  await store.init()
  t.teardown(() => store.close())
  const now = new Date('2026-11-30T10:00:00.000Z')
  const sent: string[] = []
  const notifier = new Notifier({
    outbox: store.outbox,
    targets: TARGETS,
    log,
    clock: () => now,
    deliver: async (_target, n) => {
      if (n.to === 'bad') throw new NotificationError('gone', { target: 'audit', status: 410 }, false)
      sent.push(n.to)
    },
  })
  await store.outbox.add([{ target: 'audit', key: 'api', notice: notice('api', 'bad') }, { target: 'audit', key: 'api', notice: notice('api', 'good') }, { target: 'removed', key: 'api', notice: notice('api', 'x') }], now)
  await notifier.drain()
  await notifier.drain()
  t.same(sent, ['good'])
  t.same(await store.outbox.due(now, 10), [])
})
