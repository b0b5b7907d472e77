import type { InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Store } from '../store/store.js'

/** Once an hour, when idle: the store keeps what is unfinished and the deployment history, and forgets old finished events. */
export class Retention {
  private lastPrune = 0

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly clock: () => Date,
    private readonly retentionDays: number,
  ) {}

  async maybePrune(): Promise<void> {
    const now = this.clock().getTime()
    if (now - this.lastPrune < 3_600_000) return
    this.lastPrune = now
    const days = Math.max(3, this.retentionDays)
    try {
      const removed = await this.store.prune(new Date(now - days * 86_400_000))
      if (removed > 0) this.log.info({ removed, olderThanDays: days }, 'forgot old finished events')
    } catch (e) {
      this.log.warn({ code: (e as InfraSyncError).code }, 'pruning old events failed; will try again later')
    }
  }
}
