import { parseBuildEvent } from '../core/build-event.js'
import { InfraSyncError } from '../core/errors.js'
import { secretKey } from '../intake/secrets.js'
import { SOURCE_HEADER } from '../intake/source-name.js'
import { sign } from '../intake/standard-webhooks.js'
import { UsageError } from './client-errors.js'

/** What `infra-sync notify` was asked to send (options laid over the CI's own variables). */
export interface NotifyInput {
  readonly source?: string
  readonly image?: string
  readonly tag?: string
  readonly digest?: string
  readonly commit?: string
  readonly ref?: string
  readonly buildUrl?: string
  readonly emergency?: boolean
}

/**
 * The event's body, checked here as the server will check it, so a typo is a
 * usage error on the CI's side (exit 2) rather than a 400 after retries.
 */
export function eventBody(input: NotifyInput, now: Date): string {
  const body = {
    source: input.source,
    image: input.image,
    ...(input.tag !== undefined && { tag: input.tag }),
    ...(input.digest !== undefined && { digest: input.digest }),
    ...(input.commit !== undefined && { commit: input.commit }),
    ...(input.ref !== undefined && { ref: input.ref }),
    builtAt: now.toISOString(),
    ...(input.buildUrl !== undefined && { buildUrl: input.buildUrl }),
    ...(input.emergency && { emergency: true }),
  }
  try {
    parseBuildEvent(body)
  } catch (e) {
    if (e instanceof InfraSyncError) throw new UsageError(e.message, { reason: e.code, ...e.data })
    throw e
  }
  return JSON.stringify(body)
}

/**
 * Standard Webhooks headers for one attempt. The id is the delivery's and
 * stays the same on every retry (the server answers a repeat with the same
 * event); the timestamp and signature are made afresh for each attempt.
 */
export function signedHeaders(body: string, source: string, secret: string, id: string, now: Date): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000)
  const signature = sign(secretKey(secret), id, ts, Buffer.from(body)).toString('base64')
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${signature}`, [SOURCE_HEADER]: source }
}
