import { normaliseSource, parseBuildEvent, type BuildEvent } from '../core/build-event.js'
import { ForbiddenSourceError, SignatureError, SourceSecretError } from '../core/errors.js'
import { parseJsonBody } from './parse-json.js'
import type { SourceKeys } from './secrets.js'
import { SOURCE_HEADER } from './source-name.js'
import { readSignedHeaders, sign, verify, type Hmac, type SignedHeaders } from './standard-webhooks.js'

export interface Intake {
  readonly deliveryId: string
  readonly event: BuildEvent
}

/** What a request claims before its body is read: its signature headers, the source it names, and the only keys that may verify it. */
export interface GenericClaim {
  readonly signed: SignedHeaders
  readonly named: string | undefined
  readonly keys: readonly Buffer[]
  readonly byFallback: boolean
}

/**
 * `POST /v1/events`, step one, from the headers alone: cheap refusals before
 * the body is read. The named source's own secrets are the only keys tried;
 * a source without any (or no source named) gets the fallback secret.
 */
export function claimGenericEvent(headers: Record<string, string | string[] | undefined>, named: string | undefined, keys: SourceKeys, now: Date): GenericClaim {
  const signed = readSignedHeaders(headers, now)
  const own = named ? keys.bySource.get(named) : undefined
  if (own) return { signed, named, keys: own, byFallback: false }
  if (keys.fallback.length > 0) return { signed, named, keys: keys.fallback, byFallback: true }
  if (named) throw new SourceSecretError('SOURCE_UNKNOWN', `no secret is configured for ${named}, and there is no fallback secret`, { source: named })
  throw new SourceSecretError('SOURCE_REQUIRED', `name the source in the ${SOURCE_HEADER} header (or ?source=owner/repo): requests are verified with that source's own secret`)
}

function sourceField(body: unknown): string | undefined {
  const s = typeof body === 'object' && body !== null ? (body as { source?: unknown }).source : undefined
  return typeof s === 'string' ? normaliseSource(s) : undefined
}

/**
 * Step two: the signature over the raw bytes with the claim's keys (one HMAC
 * per key, whatever the number of sources), then the JSON. A verified body
 * may speak only for the source the request named, and the fallback secret
 * never for a source that has its own.
 */
export function verifyGenericEvent(raw: Buffer, claim: GenericClaim, keys: SourceKeys, hmac: Hmac = sign): Intake {
  if (!verify(claim.signed, raw, claim.keys, hmac)) {
    throw new SignatureError('SIGNATURE_INVALID', claim.named ? `no valid signature for this body by a secret of ${claim.named}` : `no valid signature for this body by the fallback secret (name the source in ${SOURCE_HEADER} to use its own)`)
  }
  const body = parseJsonBody(raw)
  // Before the rest of validation: a request for another source is refused as such, valid or not.
  const claimed = sourceField(body)
  if (claim.named && claimed !== undefined && claimed !== claim.named) {
    throw new ForbiddenSourceError(`the request names ${claim.named}, but the event names ${claimed}`, { named: claim.named, source: claimed })
  }
  if (claim.byFallback && claimed !== undefined && keys.bySource.has(claimed)) {
    throw new ForbiddenSourceError(`${claimed} has its own secret; the shared fallback secret cannot speak for it`, { source: claimed })
  }
  return { deliveryId: claim.signed.id, event: parseBuildEvent(body) }
}
