import type { EventOutcome, TargetOutcome, TargetStatus } from '../core/change-set.js'
import type { Registry } from '../projects/registry.js'
import { targetStatus } from '../plan/event-status.js'
import type { NewMessage } from '../store/outbox.js'
import type { EventRecord } from '../store/store.js'
import type { Notice, NoticeKind } from './notice.js'

export interface NoticeContext {
  readonly registry: Registry
  /** The batch's commit, when it made one. */
  readonly commit?: string
  readonly commitUrl?: (sha: string) => string | undefined
  readonly now: Date
}

/**
 * The notifications a batch's outcomes make, for the services that name
 * targets (`notify:` in their infra-sync.yaml): one per target and changed
 * environment (applied, promoted, rolled back, proposed, waiting for a deploy
 * window or a promotion, a promotion stopped), and one per environment for a failed or dead event. Skips say nothing. Each message is keyed by its
 * service, so a target hears about one service in order.
 */
export function noticesFor(outcomes: readonly EventOutcome[], records: readonly EventRecord[], dead: ReadonlySet<string>, ctx: NoticeContext): NewMessage[] {
  const byId = new Map(records.map((r) => [r.id, r]))
  const out: NewMessage[] = []
  for (const o of outcomes) {
    const record = byId.get(o.id)
    if (!record) continue
    const failed = o.status === 'failed'
    for (const t of o.targets) {
      const notify = ctx.registry.services.get(t.service)?.config?.notify ?? []
      if (notify.length === 0) continue
      const status = targetStatus(t)
      // Waiting is told once: not again when the event, claimed at an opening, still waits.
      const kind = noticeKind(t, status, record, failed, dead.has(o.id))
      if (!kind) continue
      const notice: Notice = {
        kind,
        service: t.service,
        environment: t.environment,
        image: t.image,
        ...(t.from !== undefined && { from: t.from }),
        to: t.to ?? record.event.tag ?? record.event.digest ?? '',
        ...(kind === 'applied' || kind === 'rolled-back' || kind === 'promoted' ? ctx.commit && ctx.commitUrl?.(ctx.commit) !== undefined && { commitUrl: ctx.commitUrl(ctx.commit)! } : {}),
        ...(t.pullRequest && { pullRequestUrl: t.pullRequest.url }),
        ...(record.event.buildUrl !== undefined && { buildUrl: record.event.buildUrl }),
        ...(record.event.commit !== undefined && { sourceCommit: `${record.source}@${record.event.commit}` }),
        ...((kind === 'waiting' || (kind === 'failed' && !failed)) && { reason: t.reason }),
        ...(t.promotedFrom && { reason: `promoted from ${t.promotedFrom.environment}, healthy there at ${t.promotedFrom.commit.slice(0, 12)}` }),
        ...((failed || kind === 'dead') && (o.reason ?? t.reason) ? { reason: (o.reason ?? t.reason)! } : {}),
        at: ctx.now.toISOString(),
      }
      for (const target of notify) out.push({ target, key: t.service, notice })
    }
  }
  return out
}

/** Waiting and a stopped promotion are told once: not again when the event, planned again, still says so. */
function noticeKind(t: TargetOutcome, status: TargetStatus, record: EventRecord, failed: boolean, dead: boolean): NoticeKind | undefined {
  if (failed) return dead ? 'dead' : 'failed'
  // Told once per cause: a window that still holds it says nothing new, a promotion after the window does.
  if (status === 'waiting') return record.status === 'waiting' && record.targets.some((e) => e.service === t.service && e.environment === t.environment && targetStatus(e) === 'waiting' && e.code === t.code) ? undefined : 'waiting'
  if (t.code === 'promotion-stopped') return record.status === 'waiting' ? 'failed' : undefined
  if (t.decision !== 'update') return undefined
  // Kept from an earlier plan of the event (keep-earlier.ts): told when it happened.
  if (status === 'applied' && record.targets.some((e) => e.service === t.service && e.environment === t.environment && e.to === t.to && targetStatus(e) === 'applied')) return undefined
  if (status === 'applied') return record.event.rollback ? 'rolled-back' : t.promotedFrom ? 'promoted' : 'applied'
  return status === 'proposed' ? 'proposed' : undefined
}
