import type { FastifyRequest } from 'fastify'
import type { BuildEvent } from '../core/build-event.js'
import { EmergencyForbiddenError, RateLimitedError } from '../core/errors.js'
import type { RateLimiter } from '../intake/rate-limit.js'
import type { Metrics } from '../observability/metrics.js'
import type { IntakeStore } from '../store/repo-stores.js'
import type { AcceptResult } from '../store/store.js'

export interface AcceptDeps {
  readonly store: IntakeStore
  readonly clock: () => Date
  readonly metrics: Metrics
  readonly limiter: RateLimiter
  /** Called after an event is durably stored. */
  readonly onAccepted: (id: string) => void
  /** Normalised sources whose events may say emergency: true (sources.<repo>.emergency); absent: none. */
  readonly emergencySources?: ReadonlySet<string>
  /** Names a point where a test build kills the process (see failpoints.ts). */
  readonly failpoint?: (name: string) => void
}

/**
 * Every sender's way into the inbox: the source's rate limit, then the
 * durable store. Resolves only once the event is on disk; a duplicate (same
 * delivery, or the same build again) resolves to the event already there.
 */
export async function acceptEvent(deps: AcceptDeps, req: FastifyRequest, deliveryId: string, event: BuildEvent): Promise<AcceptResult> {
  // Checked before anything is stored: an emergency the source may not declare is refused, not downgraded.
  if (event.emergency && !deps.emergencySources?.has(event.source)) {
    deps.metrics.eventsReceived.inc({ result: 'refused' })
    throw new EmergencyForbiddenError(`${event.source} may not send emergency events (set sources.${event.source}.emergency: true in the server config)`, { source: event.source })
  }
  // A shared limiter asks the database: it fails as accept would (StoreUnavailableError, a 503), never lets a flood through.
  const wait = await deps.limiter.take(event.source)
  if (wait > 0) {
    deps.metrics.eventsReceived.inc({ result: 'rate-limited' })
    throw new RateLimitedError(`${event.source} is sending more events than its limit; retry in ${wait} s`, { retryAfterSeconds: wait, source: event.source })
  }
  const res = await deps.store.accept({ source: event.source, deliveryId, event, receivedAt: deps.clock() })
  deps.failpoint?.('after-accept')
  deps.metrics.eventsReceived.inc({ result: res.duplicate ? 'duplicate' : 'accepted' })
  if (res.duplicate) {
    req.log.info({ event: res.id, duplicate: res.duplicate, source: event.source }, 'duplicate event')
    return res
  }
  deps.onAccepted(res.id)
  req.log.info({ event: res.id, source: event.source, image: event.image, tag: event.tag }, 'event accepted')
  return res
}
