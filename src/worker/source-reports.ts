import type { BuildEvent } from '../core/build-event.js'
import { normaliseSource } from '../core/build-event.js'
import type { TargetOutcome } from '../core/change-set.js'
import { InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { ReportMode } from '../config/config.js'
import type { Forge, ReportState } from '../forges/forge.js'
import { targetStatus } from '../plan/event-status.js'

export interface ReportsDeps {
  readonly forge: Forge
  /** Per normalised source: status or deployments; a source not named is not told. */
  readonly modes: ReadonlyMap<string, ReportMode>
  readonly log: Logger
}

/**
 * Tells a source repository what became of its build, per environment: a
 * commit status `infra-sync/<env>` or a deployment status on the build's
 * source commit. proposed → pending, applied → success, declined or dead →
 * failure; superseded → success ("a newer build went in its place": nothing
 * for the source team to do). Best effort: a report that fails is logged,
 * never fails the deploy (the throttled client already retried it).
 */
export class SourceReports {
  constructor(private readonly deps: ReportsDeps) {}

  async send(items: readonly { readonly event: BuildEvent; readonly targets: readonly TargetOutcome[]; readonly commit?: string; readonly dead?: string }[]): Promise<void> {
    for (const { event, targets, commit, dead } of items) {
      const mode = this.deps.modes.get(normaliseSource(event.source))
      if (!mode || !event.commit) continue
      const seen = new Set<string>()
      for (const t of targets) {
        const r = dead ? { state: 'failure' as const, description: `failed: ${dead}` } : describe(t, commit)
        if (!r || seen.has(t.environment)) continue
        seen.add(t.environment)
        try {
          await this.deps.forge.report({ repo: event.source, sha: event.commit, environment: t.environment, mode, ...r, ...(t.pullRequest && { url: t.pullRequest.url }) })
        } catch (e) {
          if (!(e instanceof InfraSyncError)) throw e
          this.deps.log.warn({ source: event.source, environment: t.environment, code: e.code }, 'could not report to the source repository')
        }
      }
    }
  }
}

function describe(t: TargetOutcome, commit: string | undefined): { state: ReportState; description: string } | undefined {
  const change = `${t.from ?? 'unset'} → ${t.to ?? '?'}`
  const pr = t.pullRequest ? ` in PR #${t.pullRequest.number}` : ''
  switch (targetStatus(t)) {
    case 'proposed':
      return { state: 'pending', description: `proposed ${change}${pr}` }
    case 'applied':
      // A target decided "update" in commit mode, or merged from its PR.
      if (t.decision !== 'update') return undefined
      return { state: 'success', description: `deployed ${change}${commit ? ` (${commit.slice(0, 12)})` : pr}` }
    case 'declined':
      return { state: 'failure', description: `declined: ${t.reason}`.slice(0, 140) }
    case 'superseded':
      return t.update === 'pull-request' ? { state: 'success', description: `superseded by a newer build${pr}` } : undefined
    default:
      return undefined
  }
}
