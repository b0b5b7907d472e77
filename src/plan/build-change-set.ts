import type { ChangeSet, EventOutcome, FileEdit, Proposal, TargetOutcome, ValueChange } from '../core/change-set.js'
import { InfraSyncError } from '../core/errors.js'
import { formatImageValue } from '../editors/editor.js'
import { openImage } from '../editors/registry.js'
import { parsePolicy } from '../policies/registry.js'
import type { Candidate as Build } from '../policies/policy.js'
import { noOrigins, sameValue, type ValueOrigins } from './human-values.js'
import { eventStatusOf, targetStatus } from './event-status.js'
import type { MatchedEvent } from './match-events.js'
import { COMMIT_LANE, laneKey, proposalOf, proposalSkip, type LaneTarget } from './proposal-lanes.js'
import { storePinReason } from './store-pins.js'
import { waitingOutcome, windowWait } from './window-wait.js'
import { promotionHold } from './promotion-hold.js'
import { keepEarlier } from './keep-earlier.js'

export type { AppliedRecord, FileContent, HistoryLookup, PlanOptions, ProposalLookup, ProposalView } from './plan-types.js'
import type { AppliedRecord, FileContent, HistoryLookup, PlanOptions } from './plan-types.js'

interface Applied {
  readonly lane: string
  readonly file: string
  readonly outcome: { eventIndex: number; targetIndex: number }
  readonly change: ValueChange
  readonly record: AppliedRecord
}

/** A file in one lane (see proposal-lanes.ts): as read at the base head, and as edited so far. */
interface FileState {
  readonly lane: string
  readonly path: string
  readonly before: string
  readonly after: string
}

/**
 * Decides every target of every event in a batch and produces the file edits:
 * commit targets' edits for the base branch, and one proposal per
 * pull-request environment, each made on the base head's files.
 * Events are taken in order; each decision sees the edits of the events
 * before it in its lane, so a batch gives the same result as applying one at a time.
 * An event whose file cannot be read or edited fails as a whole and changes nothing.
 * Pure; fed one event at a time so a caller can let other work run in between.
 */
export class BatchPlanner {
  /** By lane and path. */
  private readonly texts = new Map<string, FileState>()
  private readonly lanes = new Map<string, LaneTarget>()
  private readonly applied = new Map<string, Applied>()
  private readonly perEvent: TargetOutcome[][] = []
  private readonly failures: (EventOutcome | null)[] = []
  private readonly matched: MatchedEvent[] = []

  constructor(
    private readonly files: ReadonlyMap<string, FileContent>,
    private readonly history: HistoryLookup,
    private readonly options: PlanOptions,
    /** When each value a human set at HEAD was committed (see human-values.ts); a build is ordered against that time. */
    private readonly origins: ValueOrigins = noOrigins,
  ) {}

  add(m: MatchedEvent): void {
    const { texts, applied, perEvent, failures, files, history, options } = this
    const eventIndex = this.matched.length
    this.matched.push(m)
    const { pending } = m
    const { event } = pending
    const build: Build = { ...(event.tag && { tag: event.tag }), ...(event.digest && { digest: event.digest }), builtAt: event.builtAt ?? pending.receivedAt }
    const to = formatImageValue(build)!
    const outcomes: TargetOutcome[] = [...m.decided]
    // A rollback is an operator's decision about one target (matchRollback): no policy, age or proposal rule holds it back.
    const rollback = event.rollback !== undefined
    // Work on copies so a failing event leaves nothing behind.
    const localTexts = new Map<string, FileState>()
    const localApplied: [string, Applied][] = []
    let failure: EventOutcome | null = null

    for (const { service, target } of m.candidates) {
      const image = service.config!.image
      const editing = { ...target, imagePolicies: service.config!.imagePolicies }
      const proposing = target.update === 'pull-request' && options.pullRequests
      const lane = proposing ? laneKey(service.name, target.environment) : COMMIT_LANE
      let mentioned = false
      for (const file of target.files) {
        const base = { service: service.name, environment: target.environment, file, image }
        const content = files.get(file)
        if (!content) {
          if (target.explicit) outcomes.push({ ...base, decision: 'skip', code: 'target-missing', reason: `${file} does not exist` })
          mentioned ||= target.explicit
          continue
        }
        if ('error' in content) {
          failure = failed(pending.id, content.error, outcomes)
          break
        }
        const textKey = `${lane}\u0001${file}`
        const state = localTexts.get(textKey) ?? texts.get(textKey) ?? { lane, path: file, before: content.text, after: content.text }
        try {
          const opened = openImage(file, state.after, service.config!.imageAsWritten, editing)
          const current = opened.current
          if (current === null && !opened.canAdd) continue
          mentioned = true
          const from = formatImageValue(current)
          const at = { ...base, ...(from !== undefined && { from }), to }
          // A pin is a human's decision: it outranks every build, so it is checked first.
          if (target.pin !== undefined) {
            const held = target.pin === true ? '' : ` at ${target.pin}`
            outcomes.push({ ...at, decision: 'skip', code: 'pinned', reason: `${service.name}/${target.environment} is pinned${held} (pin in ${service.dir}/infra-sync.yaml)` })
            continue
          }
          if (opened.pinned) {
            outcomes.push({ ...at, decision: 'skip', code: 'pinned', reason: `${from ?? 'the value'} is pinned by "# infra-sync: pin" in ${file}` })
            continue
          }
          const pin = rollback ? undefined : options.pins?.(service.name, target.environment)
          if (pin) {
            outcomes.push({ ...at, decision: 'skip', code: 'pinned', reason: storePinReason(service.name, target.environment, pin) })
            continue
          }
          const policy = parsePolicy(target.policy)
          const verdict = rollback ? { ok: true as const, reason: '' } : policy.accepts(build, current)
          if (!verdict.ok) {
            outcomes.push({ ...at, decision: 'skip', code: verdict.code ?? 'policy-filtered', reason: verdict.reason })
            continue
          }
          if (current && sameValue(current, build)) {
            outcomes.push({ ...at, decision: 'skip', code: 'already-current', reason: `already ${from} in ${file}` })
            continue
          }
          // In-batch bookkeeping is per file (one environment may set the image in several); history is per environment.
          const key = `${service.name}\u0000${target.environment}\u0000${image}\u0000${file}`
          const last = localApplied.findLast(([k]) => k === key)?.[1].record ?? applied.get(key)?.record ?? history(service.name, target.environment, image)
          const fit = current && policy.compatible && !rollback ? policy.compatible(build, current) : { ok: true as const }
          if (!fit.ok) {
            outcomes.push({ ...at, decision: 'skip', code: 'incompatible', reason: `${fit.reason} in ${file}` })
            continue
          }
          if (!rollback && (current?.tag !== undefined || current?.digest !== undefined)) {
            const knownBuiltAt = last && sameValue(current, last) ? last.builtAt : undefined
            // Not infra-sync's value: it is as new as the commit that put it there.
            const origin = knownBuiltAt === undefined && policy.usesBuildTime ? this.origins(file, image, from!) : undefined
            const builtAt = knownBuiltAt ?? origin?.committedAt
            const cmp = policy.compare(build, { ...current, ...(builtAt && { builtAt }) })
            if (cmp !== null && cmp <= 0) {
              const since = origin ? `, committed ${origin.exact ? '' : 'at or before '}${origin.committedAt} (${origin.commit.slice(0, 12)})` : ''
              const built = policy.usesBuildTime ? ` (built ${build.builtAt})` : ''
              outcomes.push({ ...at, decision: 'skip', code: 'older', reason: `${to}${built} is not newer than ${from}${since} in ${file}` })
              continue
            }
          }
          if (last && !rollback) {
            const cmp = policy.compare(build, last)
            if (cmp !== null && cmp <= 0) {
              outcomes.push({ ...at, decision: 'skip', code: 'older', reason: `${to} is not newer than ${formatImageValue(last)}, which infra-sync applied to ${file}` })
              continue
            }
          }
          if (target.update === 'pull-request' && !options.pullRequests) {
            outcomes.push({ ...at, decision: 'skip', code: 'pull-request-unavailable', reason: `${service.name}/${target.environment} is updated by pull request, and no forge is configured` })
            continue
          }
          const view = proposing ? options.proposals?.(service.name, target.environment, image) : undefined
          const held = proposing && !rollback ? proposalSkip(build, to, pending.id, view, policy) : null
          if (held) {
            outcomes.push({ ...at, decision: 'skip', status: 'skipped', ...held })
            continue
          }
          // A promotion waits for its `from` environment's health; a rollback is an operator's decision and passes.
          const promotion = rollback ? null : promotionHold(target, to, options.promotions?.(service.name, target.environment, to))
          if (promotion && 'code' in promotion) {
            outcomes.push({ ...at, decision: 'skip', ...promotion })
            continue
          }
          const promotedFrom = promotion?.promotedFrom
          // Last: a target held by a window would otherwise update; emergencies and forced rollbacks pass.
          const wait = event.emergency || event.rollback?.force ? null : windowWait(target.windows ?? options.windows ?? [], options.now ?? new Date())
          if (wait) {
            outcomes.push({ ...at, decision: 'skip', status: 'waiting', code: 'window-closed', ...wait })
            continue
          }
          const result = opened.set({ ...(event.tag && { tag: event.tag }), ...(event.digest && { digest: event.digest }) })
          localTexts.set(textKey, { ...state, after: result.text })
          const change: ValueChange = {
            eventId: pending.id,
            service: service.name,
            environment: target.environment,
            image,
            ...(from !== undefined && { from }),
            to,
            ...(event.tag && { tag: event.tag }),
            ...(event.digest && { digest: event.digest }),
            builtAt: build.builtAt!,
            ...(promotedFrom && { promotedFrom }),
          }
          if (proposing) {
            const open = view?.open
            const over = open ? `, newer than ${formatImageValue(open.value)} proposed in PR #${open.pullRequest.number}` : ''
            const reason = `${from ?? 'unset'} → ${to} in ${file}: ${rollback ? 'rollback' : `policy ${target.policy}`}${over}`
            outcomes.push({ ...at, decision: 'update', code: 'proposed', status: 'proposed', reason, update: 'pull-request', ...(open && { pullRequest: open.pullRequest }), ...(promotedFrom && { promotedFrom }) })
            if (!this.lanes.has(lane)) this.lanes.set(lane, { service: service.name, environment: target.environment, image, target })
          } else {
            outcomes.push({ ...at, decision: 'update', code: 'updated', status: 'applied', reason: `${from ?? 'unset'} → ${to} in ${file}${rollback ? ' (rollback)' : ''}`, update: 'commit', ...(promotedFrom && { promotedFrom }) })
          }
          localApplied.push([key, { lane, file, outcome: { eventIndex, targetIndex: outcomes.length - 1 }, change, record: { ...(event.tag && { tag: event.tag }), ...(event.digest && { digest: event.digest }), builtAt: build.builtAt!, eventId: pending.id } }])
        } catch (e) {
          if (!(e instanceof InfraSyncError)) throw e
          failure = failed(pending.id, e, outcomes)
          break
        }
      }
      if (failure) break
      if (!mentioned) {
        const where = target.files.length === 1 ? target.files[0]! : `${target.dir} (${target.files.length} files)`
        outcomes.push({ service: service.name, environment: target.environment, file: target.files[0]!, image, decision: 'skip', code: 'image-not-found', reason: `no ${image} in ${where}` })
      }
    }

    failures.push(failure)
    perEvent.push(keepEarlier(outcomes, pending.earlier))
    if (failure) return
    for (const [k, state] of localTexts) texts.set(k, state)
    for (const [key, a] of localApplied) {
      const prev = applied.get(key)
      let change = a.change
      if (prev) {
        // A later event in the same batch replaces an earlier one's value: one commit (or proposal), the earlier one is superseded.
        const o = perEvent[prev.outcome.eventIndex]![prev.outcome.targetIndex]!
        const within = a.lane === COMMIT_LANE ? { status: 'skipped' as const, reason: `superseded by event ${pending.id} in the same commit` } : { status: 'superseded' as const, reason: `superseded by event ${pending.id} in the same pull request` }
        perEvent[prev.outcome.eventIndex]![prev.outcome.targetIndex] = { ...o, decision: 'skip', code: 'superseded', ...within }
        const { from: _ignored, ...rest } = change
        change = prev.change.from !== undefined ? { ...rest, from: prev.change.from } : rest
        const fixed = perEvent[eventIndex]![a.outcome.targetIndex]!
        perEvent[eventIndex]![a.outcome.targetIndex] = { ...fixed, ...(prev.change.from !== undefined ? { from: prev.change.from } : {}) }
      }
      applied.set(key, { ...a, change })
    }
  }

  result(): ChangeSet {
    const { texts, applied, perEvent, failures } = this
    const byLane = new Map<string, FileEdit[]>()
    for (const { lane, path, before, after } of texts.values()) {
      if (after === before) continue
      const changes = [...applied.values()].filter((a) => a.lane === lane && a.file === path).map((a) => a.change)
      const list = byLane.get(lane) ?? []
      list.push({ path, before, after, changes })
      byLane.set(lane, list)
    }
    const proposals: Proposal[] = []
    for (const [lane, edits] of byLane) if (lane !== COMMIT_LANE) proposals.push(proposalOf(this.lanes.get(lane)!, edits))
    const outcomes = this.matched.map((m, i) => failures[i] ?? summarise(m.pending.id, m.pending.event.image, perEvent[i]!))
    return { edits: byLane.get(COMMIT_LANE) ?? [], proposals, outcomes }
  }
}

export function buildChangeSet(matched: readonly MatchedEvent[], files: ReadonlyMap<string, FileContent>, history: HistoryLookup, options: PlanOptions, origins: ValueOrigins = noOrigins): ChangeSet {
  const planner = new BatchPlanner(files, history, options, origins)
  for (const m of matched) planner.add(m)
  return planner.result()
}

function failed(id: string, e: InfraSyncError, targets: TargetOutcome[]): EventOutcome {
  return { id, status: 'failed', code: e.code, reason: e.message, retryable: true, targets }
}

function summarise(id: string, image: string, targets: TargetOutcome[]): EventOutcome {
  if (targets.length === 0) return { id, status: 'skipped', code: 'no-target', reason: `no service deploys ${image}`, targets }
  const waiting = waitingOutcome(id, targets)
  if (waiting) return waiting
  const reject = targets.find((t) => t.decision === 'reject')
  const status = eventStatusOf(targets, reject ? 'rejected' : 'skipped')
  if (status === 'applied' || status === 'proposed') return { id, status, targets }
  if (status === 'superseded' || status === 'declined') {
    const t = targets.find((x) => targetStatus(x) === status)!
    return { id, status, code: t.code, reason: t.reason, targets }
  }
  if (reject) return { id, status: 'rejected', code: reject.code, reason: reject.reason, targets }
  const first = targets[0]!
  if (targets.every((t) => t.code === first.code)) return { id, status: 'skipped', code: first.code, reason: targets.length === 1 ? first.reason : `${first.reason} (and ${targets.length - 1} more)`, targets }
  return { id, status: 'skipped', code: 'mixed', reason: targets.map((t) => `${t.service}/${t.environment}: ${t.reason}`).join('; '), targets }
}
