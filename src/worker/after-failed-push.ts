import { GitRemoteError, PushRefusedError, PushRejectedError, RefLockedError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { WorkerMetrics } from '../observability/metrics.js'
import { backoffMs } from './backoff.js'

export interface AfterPushDeps {
  readonly metrics: WorkerMetrics
  readonly log: Logger
  readonly sleep: (ms: number) => Promise<void>
  readonly random: () => number
  readonly pushRetries: number
  /** Asks the remote for its head again. */
  readonly sync: () => Promise<string | null>
  /** The remote's head is unknown after an error (the next batch asks). */
  readonly forgetHead: () => void
}

/**
 * Decides what a failed push means, by the error's type: a lock held for a
 * moment or a lost race gives the head to re-plan on; anything else (the
 * remote's own refusal, PushRefusedError, which no retry can change; an
 * outage; too many lost races) is thrown for the batch to fail with.
 */
export async function afterFailedPush(e: unknown, attempt: number, head: string | null, deps: AfterPushDeps): Promise<string | null> {
  const { metrics, log } = deps
  if (e instanceof RefLockedError) {
    // Another writer holds the branch's lock for a moment (a stale one is cleared by the remote): wait, then look again.
    metrics.push('rejected')
    if (attempt >= deps.pushRetries) throw e
    log.info({ attempt, code: e.code }, 'the branch is locked by another writer; trying again')
    await deps.sleep(backoffMs(attempt, 50, 1000, deps.random))
    return deps.sync()
  }
  if (e instanceof PushRefusedError) {
    // The remote refuses this update itself (branch protection, a hook): no re-sync, no retry, the head we know still stands.
    metrics.push('rejected')
    throw e
  }
  if (!(e instanceof PushRejectedError)) {
    metrics.push('error')
    deps.forgetHead()
    throw e
  }
  metrics.push('rejected')
  const newHead = await deps.sync()
  if (newHead === head) {
    // The report said the ref was elsewhere, yet it has not moved: the remote failed to update it (its own lock, its disk). Later.
    throw new GitRemoteError(`the remote refused the push: ${e.message}`, { reason: e.data.reason }, { retryable: true })
  }
  if (attempt >= deps.pushRetries) throw new GitRemoteError(`lost the race to push ${attempt} times in a row`, {}, { retryable: true })
  log.info({ attempt, head: newHead }, 'push lost a race; re-planning on the new head')
  await deps.sleep(backoffMs(attempt, 20, 1000, deps.random))
  return newHead
}
