/** The parts of an Argo CD Application's `status` that say whether a deploy took (GET /api/v1/applications/{name}). */
export interface ApplicationStatus {
  readonly sync?: { readonly status?: string; readonly revision?: string; readonly revisions?: readonly string[] }
  readonly health?: { readonly status?: string; readonly message?: string; readonly lastTransitionTime?: string }
  readonly operationState?: {
    readonly phase?: string
    readonly message?: string
    readonly finishedAt?: string
    readonly syncResult?: { readonly revision?: string; readonly revisions?: readonly string[] }
  }
}

export interface VerdictOptions {
  /** Whether Argo CD's revision carries the deploy: the deploying commit itself, or (the caller knows from git) a commit after it. */
  readonly carries: (revision: string) => boolean
  readonly healthyForMs: number
  readonly now: Date
  /** When infra-sync first saw it Healthy at a carrying revision, for Argo CD versions whose health has no lastTransitionTime. */
  readonly seenHealthySince?: string
}

/** promote: Healthy at the deploy for healthyFor; wait: not yet (why); stop: Degraded, or its sync failed. */
export type HealthVerdict =
  | { readonly verdict: 'promote'; readonly healthySince: string }
  | { readonly verdict: 'wait'; readonly reason: string; readonly healthySince?: string; readonly promoteAt?: string }
  | { readonly verdict: 'stop'; readonly reason: string }

export const revisionsOf = (r: { readonly revision?: string; readonly revisions?: readonly string[] } | undefined) => [...(r?.revisions ?? []), ...(r?.revision ? [r.revision] : [])]
const later = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : Date.parse(a) >= Date.parse(b) ? a : b)

/**
 * The promotion rule: Argo CD synced a revision that carries the deploy, no
 * operation is running, health is Healthy, and has been since its last
 * transition (or since the sync finished, whichever is later) for
 * healthyFor. Degraded, or a failed sync of a carrying revision, stops it.
 */
export function healthVerdict(s: ApplicationStatus, o: VerdictOptions): HealthVerdict {
  const phase = s.operationState?.phase
  const synced = revisionsOf(s.sync)
  const operated = revisionsOf(s.operationState?.syncResult)
  if ((phase === 'Failed' || phase === 'Error') && operated.some(o.carries)) return { verdict: 'stop', reason: `the sync failed: ${s.operationState?.message ?? phase}` }
  if (phase === 'Running' || phase === 'Terminating') return { verdict: 'wait', reason: `a sync is ${phase.toLowerCase()}` }
  if (!synced.some(o.carries)) return { verdict: 'wait', reason: synced.length > 0 ? `synced at ${synced.join(', ').slice(0, 80)}, not yet at the deploy` : 'not synced yet' }
  if (s.sync?.status !== 'Synced') return { verdict: 'wait', reason: `${s.sync?.status ?? 'Unknown'}` }
  const health = s.health?.status ?? 'Unknown'
  if (health === 'Degraded') return { verdict: 'stop', reason: `Degraded${s.health?.message ? `: ${s.health.message}` : ''}` }
  if (health !== 'Healthy') return { verdict: 'wait', reason: `${health}${s.health?.message ? `: ${s.health.message}` : ''}` }
  const finished = phase === 'Succeeded' && operated.some(o.carries) ? s.operationState?.finishedAt : undefined
  const since = later(s.health?.lastTransitionTime ?? o.seenHealthySince, finished) ?? o.now.toISOString()
  const at = Date.parse(since) + o.healthyForMs
  if (o.now.getTime() >= at) return { verdict: 'promote', healthySince: since }
  return { verdict: 'wait', reason: `Healthy since ${since}`, healthySince: since, promoteAt: new Date(at).toISOString() }
}
