import type { Test } from 'tap'
import type { Notice } from '../../src/notifications/notice.js'
import type { Store } from '../../src/store/store.js'

const notice = (service: string, to: string): Notice => ({ kind: 'applied', service, environment: 'dev', image: `ghcr.io/acme/${service}`, to, at: '2026-11-30T10:00:00.000Z' })

/** The Store contract for the notifications outbox: durable, in order per target and service, each message with its own id. */
export function outboxContract(t: Test, name: string, open: (t: Test) => Promise<Store>): void {
  t.test(`${name}: the outbox gives the oldest message of each target and service, in order, each once it is due`, async (t) => {
    const store = await open(t)
    const t0 = new Date('2026-11-30T10:00:00.000Z')
    t.same(await store.outbox.due(t0, 10), [], 'empty at first')
    await store.outbox.add([{ target: 'ops', key: 'api', notice: notice('api', '1.0.1') }, { target: 'ops', key: 'api', notice: notice('api', '1.0.2') }, { target: 'ops', key: 'web', notice: notice('web', '2.0.0') }, { target: 'audit', key: 'api', notice: notice('api', '1.0.1') }], t0)
    await store.outbox.add([], t0)
    const first = await store.outbox.due(t0, 10)
    t.same(first.map((m) => `${m.target} ${m.key} ${m.notice.to}`), ['ops api 1.0.1', 'ops web 2.0.0', 'audit api 1.0.1'], "one per target and service, the oldest, in the order they were added")
    t.same(first[0]!.notice, notice('api', '1.0.1'), 'the notice as it was added')
    t.match(first[0], { attempts: 0, nextAttemptAt: '2026-11-30T10:00:00.000Z', createdAt: '2026-11-30T10:00:00.000Z' })
    t.equal(new Set(first.map((m) => m.id)).size, 3, 'each message its own id')
    t.ok(first.every((m) => /^msg_[0-9A-Z]{26}$/.test(m.id)))
    t.same((await store.outbox.due(t0, 1)).length, 1, 'limit')

    // The first message fails: it is retried later, and the one after it waits behind it.
    const retryAt = new Date(t0.getTime() + 30_000)
    await store.outbox.retryLater(first[0]!.id, retryAt, 'HTTP 503')
    t.same((await store.outbox.due(t0, 10)).map((m) => `${m.target} ${m.key} ${m.notice.to}`), ['ops web 2.0.0', 'audit api 1.0.1'], 'not due before its retry; nothing overtakes it')
    const again = (await store.outbox.due(retryAt, 10)).find((m) => m.id === first[0]!.id)
    t.match(again, { attempts: 1, lastError: 'HTTP 503', nextAttemptAt: retryAt.toISOString() })
    await store.outbox.remove(first[0]!.id)
    t.same((await store.outbox.due(retryAt, 10)).map((m) => `${m.target} ${m.key} ${m.notice.to}`), ['ops api 1.0.2', 'ops web 2.0.0', 'audit api 1.0.1'], 'delivered: the next of its queue is due')
    for (const m of await store.outbox.due(retryAt, 10)) await store.outbox.remove(m.id)
    t.same(await store.outbox.due(retryAt, 10), [], 'all delivered')
  })
}
