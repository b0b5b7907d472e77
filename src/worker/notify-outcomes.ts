import type { EventOutcome } from '../core/change-set.js'
import type { Logger } from '../core/logger.js'
import { noticesFor } from '../notifications/notices-for.js'
import type { Registry } from '../projects/registry.js'
import type { PullRequestInfo } from '../forges/forge.js'
import type { Notice } from '../notifications/notice.js'
import type { EventRecord, ProposalRecord, Store } from '../store/store.js'

export interface NotifyOutcomesDeps {
  readonly store: Pick<Store, 'outbox'>
  readonly log: Logger
  readonly clock: () => Date
  readonly registry: () => Registry
  readonly commitUrl?: ((sha: string) => string | undefined) | undefined
}

/**
 * What the outcome recorder calls once a batch's outcomes are written: the
 * notifications they make go into the store's outbox (notifier.ts delivers
 * them). Written after the outcomes, not with them: a crash in between loses
 * those notifications, never an event. A failure to write them is logged and
 * does not fail the batch, whose commit has landed.
 */
export function notifyOutcomes(deps: NotifyOutcomesDeps) {
  return async (records: readonly EventRecord[], outcomes: readonly EventOutcome[], dead: ReadonlySet<string>, commit: string | undefined): Promise<void> => {
    const now = deps.clock()
    const messages = noticesFor(outcomes, records, dead, { registry: deps.registry(), ...(commit !== undefined && { commit }), ...(deps.commitUrl && { commitUrl: deps.commitUrl }), now })
    if (messages.length === 0) return
    await deps.store.outbox.add(messages, now).catch((e) => deps.log.error({ err: e, code: (e as { code?: string }).code, messages: messages.length }, 'notifications could not be queued'))
  }
}

/** What the pull-request watch calls when a proposal's PR was merged: a `merged` notice to its service's targets. */
export function notifyMerged(deps: NotifyOutcomesDeps) {
  return async (p: ProposalRecord, pr: PullRequestInfo): Promise<void> => {
    const notify = deps.registry().services.get(p.service)?.config?.notify ?? []
    if (notify.length === 0) return
    const now = deps.clock()
    const change = p.changes.at(-1)
    const commit = pr.mergeCommit
    const notice: Notice = {
      kind: 'merged',
      service: p.service,
      environment: p.environment,
      image: p.image,
      ...(change?.from !== undefined && { from: change.from }),
      to: change?.to ?? p.value.tag ?? p.value.digest ?? '',
      ...(commit !== undefined && deps.commitUrl?.(commit) !== undefined && { commitUrl: deps.commitUrl(commit)! }),
      pullRequestUrl: p.pullRequest.url,
      ...(pr.mergedBy !== undefined && { reason: `merged by ${pr.mergedBy}` }),
      at: now.toISOString(),
    }
    await deps.store.outbox.add(notify.map((target) => ({ target, key: p.service, notice })), now).catch((e) => deps.log.error({ err: e, code: (e as { code?: string }).code }, 'notifications could not be queued'))
  }
}
