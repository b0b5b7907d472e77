/**
 * A webhook's nudge to the worker that deploys (the lease holder): a push to
 * the infra repo, a pull request that changed, an Argo CD Application that
 * changed. A load balancer hands a webhook to any replica; a standby relays
 * its hint over the store (PostgreSQL NOTIFY) so the leader acts at once
 * instead of at its next poll. Losing one only costs that poll.
 */
export type ReplicaHint = { readonly type: 'refresh' } | { readonly type: 'pull-request'; readonly number: number } | { readonly type: 'argocd'; readonly application: string }

/** NOTIFY's payload limit is 8000 bytes; an Application name is at most 253 characters. */
const MAX_APPLICATION = 253

export function encodeHint(h: ReplicaHint): string {
  return JSON.stringify(h.type === 'refresh' ? { type: h.type } : h.type === 'pull-request' ? { type: h.type, number: h.number } : { type: h.type, application: h.application })
}

/** The hint in a payload, or null for anything else: another version's hint, or an event's empty notification. */
export function decodeHint(payload: string): ReplicaHint | null {
  let v: unknown
  try {
    v = JSON.parse(payload)
  } catch {
    return null
  }
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  if (o.type === 'refresh') return { type: 'refresh' }
  if (o.type === 'pull-request' && Number.isSafeInteger(o.number) && (o.number as number) > 0) return { type: 'pull-request', number: o.number as number }
  if (o.type === 'argocd' && typeof o.application === 'string' && o.application.length > 0 && o.application.length <= MAX_APPLICATION) return { type: 'argocd', application: o.application }
  return null
}
