/** What happened, told to people: one notification's content, whatever the target. */
export type NoticeKind = 'applied' | 'proposed' | 'merged' | 'promoted' | 'waiting' | 'failed' | 'dead' | 'rolled-back'

export interface Notice {
  readonly kind: NoticeKind
  readonly service: string
  readonly environment: string
  readonly image: string
  readonly from?: string
  readonly to: string
  /** The infra repo's commit page, or the pull request's. */
  readonly commitUrl?: string
  readonly pullRequestUrl?: string
  readonly buildUrl?: string
  /** owner/repo@sha of the build's source commit. */
  readonly sourceCommit?: string
  /** Why (waiting, failed, dead): a reason a person reads. */
  readonly reason?: string
  /** ISO time it happened. */
  readonly at: string
}

export const NOTICE_VERB: Record<NoticeKind, string> = {
  applied: 'deployed',
  proposed: 'proposed',
  merged: 'merged',
  promoted: 'promoted',
  waiting: 'waiting',
  failed: 'failed',
  dead: 'gave up',
  'rolled-back': 'rolled back',
}
