import { createHmac, timingSafeEqual } from 'node:crypto'
import { SignatureError } from '../core/errors.js'

export const TOLERANCE_SECONDS = 5 * 60

export interface SignedHeaders {
  readonly id: string
  readonly timestamp: number
  readonly signatures: readonly Buffer[]
}

/** Computes one HMAC; injectable so a test can count them. */
export type Hmac = (key: Buffer, id: string, timestamp: number, body: Buffer) => Buffer

const ID = /^[\x21-\x7e]{1,256}$/
const HMAC_SHA256_BYTES = 32

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * Reads and checks the Standard Webhooks headers before any HMAC is computed
 * (and before the body is read): missing headers, a malformed id, a timestamp
 * more than five minutes off, no `v1` signature of the right length.
 */
export function readSignedHeaders(headers: Record<string, string | string[] | undefined>, now: Date): SignedHeaders {
  const id = header(headers, 'webhook-id')
  const ts = header(headers, 'webhook-timestamp')
  const sig = header(headers, 'webhook-signature')
  if (!id || !ts || !sig) throw new SignatureError('SIGNATURE_MISSING', 'webhook-id, webhook-timestamp and webhook-signature headers are required (Standard Webhooks)')
  if (!ID.test(id)) throw new SignatureError('SIGNATURE_INVALID', 'webhook-id must be 1 to 256 printable characters')
  if (!/^\d{1,12}$/.test(ts)) throw new SignatureError('TIMESTAMP_OUT_OF_RANGE', 'webhook-timestamp must be whole seconds since the epoch')
  const timestamp = Number(ts)
  if (Math.abs(now.getTime() / 1000 - timestamp) > TOLERANCE_SECONDS) {
    throw new SignatureError('TIMESTAMP_OUT_OF_RANGE', `webhook-timestamp is more than ${TOLERANCE_SECONDS} seconds from the server's clock`)
  }
  const signatures: Buffer[] = []
  for (const part of sig.split(' ')) {
    const comma = part.indexOf(',')
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue
    const b64 = part.slice(comma + 1)
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue
    const bytes = Buffer.from(b64, 'base64')
    if (bytes.length === HMAC_SHA256_BYTES) signatures.push(bytes)
  }
  if (signatures.length === 0) throw new SignatureError('SIGNATURE_INVALID', 'webhook-signature has no v1,<base64 of 32 bytes> signature')
  return { id, timestamp, signatures }
}

/** HMAC-SHA256 of `id.timestamp.body` over the raw bytes, as the spec defines it. */
export const sign: Hmac = (key, id, timestamp, body) => createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest()

/** True when any of the signatures was made with any of the keys: one HMAC per key, constant-time comparisons. */
export function verify(signed: SignedHeaders, body: Buffer, keys: readonly Buffer[], hmac: Hmac = sign): boolean {
  for (const key of keys) {
    const expected = hmac(key, signed.id, signed.timestamp, body)
    for (const s of signed.signatures) if (s.length === expected.length && timingSafeEqual(s, expected)) return true
  }
  return false
}
