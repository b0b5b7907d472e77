import type { PromotedFrom } from '../core/change-set.js'
import type { ServiceTarget } from '../projects/registry.js'
import type { PromotionView } from './plan-types.js'

/** Why a promoted target does not update yet: it waits (promotion-pending) or is skipped for good. */
export type PromotionHold =
  | { readonly status: 'waiting'; readonly code: 'promotion-pending'; readonly reason: string }
  | { readonly status: 'skipped'; readonly code: 'promotion-stopped' | 'superseded'; readonly reason: string }

/**
 * A target with `promote:` updates only once its promotion is cleared (the
 * promotion watch saw `from` Healthy at the build for healthyFor); until then
 * it waits, naming what it waits for and the latest word from Argo CD.
 */
export function promotionHold(target: ServiceTarget, to: string, view: PromotionView | undefined): PromotionHold | { readonly promotedFrom: PromotedFrom } | null {
  const p = target.promote
  if (!p) return null
  if (view?.state === 'cleared' && view.fromCommit) return { promotedFrom: { environment: p.from, commit: view.fromCommit } }
  if (view?.state === 'stopped') return { status: 'skipped', code: 'promotion-stopped', reason: `not promoted from ${p.from}: ${p.application} ${view.reason ?? 'failed'} at ${to}` }
  if (view?.state === 'superseded') return { status: 'skipped', code: 'superseded', reason: `not promoted: ${view.reason ?? `${p.from} moved on from ${to}`}` }
  const healthy = p.healthyForMs > 0 ? `healthy for ${p.healthyFor}` : 'healthy'
  return { status: 'waiting', code: 'promotion-pending', reason: `waiting for ${p.application} to be ${healthy} at ${to}${view?.reason ? `: ${view.reason}` : ''}` }
}
