import type { Logger } from '../core/logger.js'
import type { OutboxStore } from '../store/outbox.js'
import { backoffMs } from '../worker/backoff.js'
import { deliverNotice, NotificationError } from './deliver-notice.js'
import type { NotificationTarget } from './targets.js'

export interface NotifierDeps {
  readonly outbox: OutboxStore
  readonly targets: ReadonlyMap<string, NotificationTarget>
  readonly log: Logger
  readonly clock: () => Date
  readonly random?: () => number
  /** Backoff of a failing target: from baseMs, doubling, capped (default 1 s … 30 s). */
  readonly baseMs?: number
  readonly capMs?: number
  /** One delivery: deliverNotice, replaced in tests. */
  readonly deliver?: typeof deliverNotice
}

/** Rounds of one drain: each round sends the head of every queue, so this bounds how long one call keeps the worker. */
const MAX_ROUNDS = 20

/**
 * Delivers the outbox: the oldest message of each target and service, again
 * and again until none is due. A message that fails is tried again after a
 * backoff capped at 30 s, and the messages behind it wait, so a receiver that
 * comes back gets them all, in order, within one cap of coming back. One
 * refused for good (a 4xx other than 408/429), or whose target is no longer
 * configured, is dropped with an error in the log.
 */
export class Notifier {
  constructor(private readonly deps: NotifierDeps) {}

  /** Sends what is due; returns how many messages were delivered. */
  async drain(): Promise<number> {
    const { outbox, targets, log } = this.deps
    const deliver = this.deps.deliver ?? deliverNotice
    let delivered = 0
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.deps.clock()
      const due = await outbox.due(now, 50)
      if (due.length === 0) break
      let progress = false
      for (const m of due) {
        const target = targets.get(m.target)
        if (!target) {
          log.error({ target: m.target, service: m.key, id: m.id, code: 'NOTIFICATION_TARGET_UNKNOWN' }, 'a notification names a target that is not configured; dropped')
          await outbox.remove(m.id)
          continue
        }
        try {
          await deliver(target, m.notice, m.id, now)
          await outbox.remove(m.id)
          delivered++
          progress = true
        } catch (e) {
          const retryable = !(e instanceof NotificationError) || e.retryable
          if (!retryable) {
            log.error({ target: m.target, service: m.key, id: m.id, code: (e as NotificationError).code, status: (e as NotificationError).data.status }, 'a notification was refused for good; dropped')
            await outbox.remove(m.id)
            continue
          }
          const wait = backoffMs(m.attempts + 1, this.deps.baseMs ?? 1000, this.deps.capMs ?? 30_000, this.deps.random)
          await outbox.retryLater(m.id, new Date(now.getTime() + wait), (e as Error).message.slice(0, 500))
          log.warn({ target: m.target, service: m.key, id: m.id, attempts: m.attempts + 1, retryInMs: wait }, 'a notification could not be delivered; it will be tried again')
        }
      }
      if (!progress) break
    }
    return delivered
  }
}
