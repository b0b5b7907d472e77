import { EventOutcomeError } from './client-errors.js'

/** The parts of `GET /v1/events/:id` that decide how a wait ends. */
export interface EventView {
  readonly id: string
  readonly status: string
  readonly code?: string
  readonly reason?: string
  readonly commit?: string
  readonly commitUrl?: string
  readonly pullRequest?: { readonly number: number; readonly url: string; readonly state: string }
  readonly targets: readonly { readonly service?: string; readonly environment?: string; readonly code?: string; readonly reason?: string; readonly status?: string; readonly pullRequest?: { readonly url: string } }[]
}

/** Still moving: queued, retried later (failed), or held for a promotion or a deploy window. */
const PENDING = new Set(['queued', 'failed', 'waiting'])

/**
 * Skips a person has to act on: no service deploys the image, a file or the
 * image in it is missing, pull requests are not set up. The others (already
 * current, older, pinned, filtered by branch or policy) are the pipeline
 * working as configured.
 */
export const NEEDS_A_PERSON = new Set(['no-target', 'target-missing', 'image-not-found', 'pull-request-unavailable'])

export type WaitResult = { readonly done: false } | { readonly done: true; readonly line: string; readonly error?: EventOutcomeError }

const where = (t: EventView['targets'][number]) => `${t.service ?? '?'}/${t.environment ?? '?'}`

/** Whether a wait for the event is over, what to print, and whether the command fails. */
export function waitResult(e: EventView): WaitResult {
  if (PENDING.has(e.status)) return { done: false }
  const data = { id: e.id, status: e.status, ...(e.code !== undefined && { reason: e.code }) }
  switch (e.status) {
    case 'applied':
      return { done: true, line: `applied: ${e.commitUrl ?? e.commit ?? ''}`.trimEnd() }
    case 'proposed': {
      const urls = [...new Set([e.pullRequest?.url, ...e.targets.map((t) => t.pullRequest?.url)].filter((u): u is string => !!u))]
      return { done: true, line: `proposed: ${urls.join(' ')}`.trimEnd() }
    }
    case 'rejected':
      return { done: true, line: `rejected: ${e.reason ?? ''}`, error: new EventOutcomeError('EVENT_REJECTED', `rejected: ${e.reason ?? e.code ?? ''}`, data) }
    case 'dead':
      return { done: true, line: `dead: ${e.reason ?? ''}`, error: new EventOutcomeError('EVENT_DEAD', `dead after its retries: ${e.reason ?? e.code ?? ''}; retry it with POST /v1/events/${e.id}/retry once fixed`, data) }
    case 'skipped': {
      const codes = [e.code, ...e.targets.map((t) => t.code)].filter((c): c is string => c !== undefined)
      const line = `skipped: ${e.targets.length > 0 ? e.targets.map((t) => `${where(t)} ${t.code ?? ''}`).join(', ') : (e.reason ?? e.code ?? '')}`
      if (codes.some((c) => NEEDS_A_PERSON.has(c))) return { done: true, line, error: new EventOutcomeError('EVENT_SKIPPED', `${line}: ${e.reason ?? ''}`, { ...data, codes }) }
      return { done: true, line }
    }
    default:
      // superseded (a newer build took its place), declined (its pull request was closed), or a status newer than this client.
      return { done: true, line: `${e.status}${e.reason ? `: ${e.reason}` : ''}` }
  }
}
