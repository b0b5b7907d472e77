import type { Deployment, ProposalRecord } from '../store/store.js'
import type { PinRecord } from '../store/pins.js'
import type { UpdateMode } from '../projects/service-config.js'
import { windowState, type DeployWindow } from '../windows/deploy-windows.js'

/** A coded reason, as cloneable as the rest (it crosses from the worker thread). */
export interface Problem {
  readonly code: string
  readonly message: string
}

/** One environment of a service as the infra repo holds it at the worker's head. */
export interface TargetState {
  readonly environment: string
  readonly update: UpdateMode
  readonly policy: string
  /** `pin` in infra-sync.yaml: true, or the tag held. */
  readonly pin?: true | string
  /** The file that sets the image (the first of the target's files that mentions it). */
  readonly file?: string
  readonly tag?: string
  readonly digest?: string
  /** The value's line ends with `# infra-sync: pin`. */
  readonly markerPin?: boolean
  /** Why no value could be read (a missing folder, a file that does not parse). */
  readonly problem?: Problem
  /** The environment's or the service's deploy windows; absent: the server's. */
  readonly windows?: readonly DeployWindow[]
}

/** One services/* folder at the head: its targets, or why its infra-sync.yaml was refused. */
export interface ServiceState {
  readonly service: string
  readonly image?: string
  readonly error?: Problem
  readonly targets: readonly TargetState[]
}

/** A row of `GET /v1/services` and `infra-sync status`: one service × environment (or one refused service). */
export interface ServiceRow {
  readonly service: string
  readonly environment?: string
  readonly image?: string
  /** What the file holds now: `tag`, `@digest` or `tag@digest`; absent when it sets none. */
  readonly value?: string
  readonly tag?: string
  readonly digest?: string
  readonly file?: string
  /**
   * Whether the value now in the file is the one infra-sync's history last
   * deployed there. False: a person (or a tool) set it, or nothing was ever
   * recorded; then `since` and the delivery fields are absent, since the
   * history does not say when that value came.
   */
  readonly recorded: boolean
  readonly since?: string
  readonly commit?: string
  readonly pullRequest?: { readonly number: number; readonly url: string }
  readonly mergedBy?: string
  readonly kind?: string
  readonly sourceCommit?: string
  readonly buildUrl?: string
  /** A pin: in infra-sync.yaml (`config`, holding `value` when it names one), a `# infra-sync: pin` marker, or set through the API (`api`: a rollback or POST /v1/pins, with its kind and reason). Git's pins come first. */
  readonly pin?: { readonly by: 'config' | 'marker' | 'api'; readonly value?: string; readonly kind?: string; readonly reason?: string }
  readonly update?: UpdateMode
  readonly policy?: string
  /** The pull request infra-sync has open for this environment, and the value it proposes. */
  readonly openPullRequest?: { readonly number: number; readonly url: string; readonly value?: string }
  /** Where deploy windows apply (absent: none do): whether changes go out now, and if not, why and when they next may (no nextOpenAt: none opens soon). */
  readonly window?: { readonly open: boolean; readonly reason?: 'deny' | 'outside-allow'; readonly nextOpenAt?: string }
  /** A refused infra-sync.yaml (the whole service) or a target whose value could not be read. */
  readonly error?: Problem
  /** Several infra repos: the repo (its `repos:` name) the row is from. */
  readonly repo?: string
}

const formatted = (tag: string | undefined, digest: string | undefined) => (tag && digest ? `${tag}@${digest}` : (tag ?? digest))

/** The history's row set the value only if both halves agree (a file may hold a tag where the build also had a digest: then the tag decides). */
function sameAs(t: TargetState, d: Deployment): boolean {
  if (t.tag === undefined && t.digest === undefined) return false
  if (t.digest !== undefined && d.digest !== undefined && t.digest !== d.digest) return false
  if (t.tag !== undefined || d.tag !== undefined) return t.tag === d.tag
  return t.digest === d.digest
}

const key = (service: string, environment: string) => `${service}\u0000${environment}`

/** The server's windows and the moment they are read at: each row says whether its windows are open then. */
export interface WindowsAt {
  readonly server: readonly DeployWindow[]
  readonly now: Date
}

function windowView(t: TargetState, at: WindowsAt | undefined): ServiceRow['window'] {
  const windows = t.windows ?? at?.server ?? []
  if (!at || windows.length === 0) return undefined
  const state = windowState(windows, at.now)
  return state.open ? { open: true } : { open: false, reason: state.reason, ...(state.nextOpenAt && { nextOpenAt: state.nextOpenAt.toISOString() }) }
}

/**
 * What runs where: each service's environments at the head, joined with the
 * latest deployment recorded for it and the pull request open for it.
 * `latest` is by (service, environment); `open` is every open proposal.
 */
export function serviceView(states: readonly ServiceState[], latest: ReadonlyMap<string, Deployment>, open: readonly ProposalRecord[], pins: readonly PinRecord[] = [], windows?: WindowsAt): ServiceRow[] {
  const pinBy = new Map(pins.map((p) => [key(p.service, p.environment), p]))
  const openBy = new Map<string, ProposalRecord>()
  for (const p of open) {
    const k = key(p.service, p.environment)
    const seen = openBy.get(k)
    if (!seen || seen.updatedAt < p.updatedAt) openBy.set(k, p)
  }
  const rows: ServiceRow[] = []
  for (const s of states) {
    if (s.error) {
      rows.push({ service: s.service, recorded: false, error: s.error })
      continue
    }
    for (const t of s.targets) {
      const d = latest.get(key(s.service, t.environment))
      const recorded = d !== undefined && sameAs(t, d)
      const pr = openBy.get(key(s.service, t.environment))
      const value = formatted(t.tag, t.digest)
      const api = pinBy.get(key(s.service, t.environment))
      const pin =
        t.pin !== undefined
          ? { by: 'config' as const, ...(typeof t.pin === 'string' && { value: t.pin }) }
          : t.markerPin
            ? { by: 'marker' as const }
            : api
              ? { by: 'api' as const, kind: api.kind, ...(api.value !== undefined && { value: api.value }), ...(api.reason !== undefined && { reason: api.reason }) }
              : undefined
      const prValue = pr && formatted(pr.value.tag, pr.value.digest)
      const window = windowView(t, windows)
      rows.push({
        service: s.service,
        environment: t.environment,
        ...(s.image !== undefined && { image: s.image }),
        ...(value !== undefined && { value }),
        ...(t.tag !== undefined && { tag: t.tag }),
        ...(t.digest !== undefined && { digest: t.digest }),
        ...(t.file !== undefined && { file: t.file }),
        recorded,
        ...(recorded && d && {
          since: d.appliedAt,
          commit: d.commit,
          kind: d.kind ?? 'deploy',
          ...(d.pullRequest && { pullRequest: { number: d.pullRequest.number, url: d.pullRequest.url } }),
          ...(d.mergedBy !== undefined && { mergedBy: d.mergedBy }),
          ...(d.sourceCommit !== undefined && { sourceCommit: d.sourceCommit }),
          ...(d.buildUrl !== undefined && { buildUrl: d.buildUrl }),
        }),
        ...(pin && { pin }),
        update: t.update,
        policy: t.policy,
        ...(pr && { openPullRequest: { number: pr.pullRequest.number, url: pr.pullRequest.url, ...(prValue !== undefined && { value: prValue }) } }),
        ...(window && { window }),
        ...(t.problem && { error: t.problem }),
      })
    }
  }
  return rows
}

/** The key `serviceView` looks deployments up by. */
export const viewKey = key
