import type { InfraSyncError } from '../core/errors.js'
import type { PullRequestRef } from '../core/change-set.js'
import type { DeployWindow } from '../windows/deploy-windows.js'
import type { PinLookup } from './store-pins.js'

/** What infra-sync last applied to a target, from its own history. */
export interface AppliedRecord {
  readonly tag?: string
  readonly digest?: string
  readonly builtAt: string
  readonly eventId: string
}

export type HistoryLookup = (service: string, environment: string, image: string) => AppliedRecord | undefined

/** A file as read at the planned-on commit: its text, absent, or an error reading it. */
export type FileContent = { readonly text: string } | { readonly error: InfraSyncError } | null

/** What the planner knows of a pull-request target's proposals (the store's ProposalState fits it). */
export interface ProposalView {
  /** The open PR: the value it proposes and the events it carries. */
  readonly open?: { readonly value: AppliedRecord; readonly eventIds: readonly string[]; readonly pullRequest: PullRequestRef }
  /** Values whose PR was closed without merge: never proposed again. The PR, when known, is named in the skip. */
  readonly declined: readonly (AppliedRecord & { readonly pullRequest?: PullRequestRef })[]
}

export type ProposalLookup = (service: string, environment: string, image: string) => ProposalView | undefined

/** Where a promotion stands (the store's PromotionRecord fits it); absent: nobody has looked yet. */
export interface PromotionView {
  readonly state: 'waiting' | 'cleared' | 'stopped' | 'superseded'
  readonly from: string
  readonly fromCommit?: string
  readonly reason?: string
}

/** By the promoted-to (service, environment) and the value as the file writes it. */
export type PromotionLookup = (service: string, environment: string, value: string) => PromotionView | undefined

export interface PlanOptions {
  /** Whether pull-request delivery is available; without it such targets are skipped. */
  readonly pullRequests: boolean
  /** The proposals of pull-request targets; none when absent. */
  readonly proposals?: ProposalLookup
  /** Pins set through the API (rollbacks, POST /v1/pins); none when absent. */
  readonly pins?: PinLookup
  /** The server's deploy windows (infra-sync.config.yaml), for targets whose service and environment name none. */
  readonly windows?: readonly DeployWindow[]
  /** Promotions of environments with `promote:`; none cleared when absent. */
  readonly promotions?: PromotionLookup
  /** The batch's clock, which windows are read at; default: now. */
  readonly now?: Date
}
