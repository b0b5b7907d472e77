/** What the planner knows of a pin set through the API (the store's PinRecord fits it). */
export interface StorePin {
  readonly value?: string
  readonly kind: 'rollback' | 'manual'
  readonly reason?: string
  readonly createdAt: string
}

export type PinLookup = (service: string, environment: string) => StorePin | undefined

/** The skip's reason: which pin holds the target, since when and why, and how to release it. */
export function storePinReason(service: string, environment: string, pin: StorePin): string {
  const at = pin.value !== undefined ? ` at ${pin.value}` : ''
  const why = pin.reason !== undefined ? `: ${pin.reason}` : ''
  const by = pin.kind === 'rollback' ? 'a rollback' : 'POST /v1/pins'
  return `${service}/${environment} is pinned${at} by ${by} since ${pin.createdAt}${why} (release it with infra-sync unpin ${service} ${environment})`
}
