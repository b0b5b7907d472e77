import { normaliseSource, parseBuildEvent, type BuildEvent } from '../core/build-event.js'
import { ForbiddenSourceError, SignatureError, ValidationError } from '../core/errors.js'
import type { SourceKeys } from './secrets.js'
import { readSignedHeaders, verify } from './standard-webhooks.js'

export interface Intake {
  readonly deliveryId: string
  readonly event: BuildEvent
}

function claimedSource(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { source?: unknown }
    return typeof parsed?.source === 'string' ? normaliseSource(parsed.source) : undefined
  } catch {
    return undefined
  }
}

/**
 * `POST /v1/events`: verify the signature over the raw bytes, find which
 * source's secret made it, and only then parse the body. The source an event
 * speaks for is the one whose secret signed it; a body naming another is 403.
 */
export function intakeGenericEvent(raw: Buffer, headers: Record<string, string | string[] | undefined>, keys: SourceKeys, now: Date): Intake {
  const signed = readSignedHeaders(headers, now)
  const claimed = claimedSource(raw)
  const own = claimed ? keys.bySource.get(claimed) : undefined
  const verifiedAsClaimed = own ? verify(signed, raw, own) : verify(signed, raw, keys.fallback)
  if (!verifiedAsClaimed) {
    // Tell a valid signature from another source (403) apart from no valid signature at all (401).
    for (const [source, list] of keys.bySource) {
      if (source !== claimed && verify(signed, raw, list)) {
        throw new ForbiddenSourceError(`signed with the secret of ${source}, but the event names ${claimed ?? 'no source'}`, { signedBy: source })
      }
    }
    if (own && verify(signed, raw, keys.fallback)) {
      throw new ForbiddenSourceError(`${claimed} has its own secret; the shared fallback secret cannot speak for it`, {})
    }
    throw new SignatureError('SIGNATURE_INVALID', 'no valid signature for this body')
  }
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch {
    throw new ValidationError('body is not valid JSON', {}, 'INVALID_JSON')
  }
  const event = parseBuildEvent(body)
  return { deliveryId: signed.id, event }
}
