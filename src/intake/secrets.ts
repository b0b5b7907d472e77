import { normaliseSource } from '../core/build-event.js'

/** Webhook secrets, resolved to HMAC keys. Several per source may be valid at once (rotation). */
export interface SourceKeys {
  /** Only sources with at least one Standard Webhooks secret of their own. */
  readonly bySource: ReadonlyMap<string, readonly Buffer[]>
  /** INFRA_SYNC_SECRET (or the generated development secret): valid for sources that have none of their own. */
  readonly fallback: readonly Buffer[]
}

/**
 * Standard Webhooks secrets are `whsec_` + base64 of the key; any other string
 * is used as the key bytes as written, which is what `openssl dgst -hmac` does.
 */
export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8')
}

export function buildKeys(bySource: ReadonlyMap<string, readonly string[]>, fallback: readonly string[]): SourceKeys {
  return {
    // A source with only a GitHub hook secret has no key here, so the fallback speaks for it.
    bySource: new Map([...bySource].filter(([, list]) => list.length > 0).map(([s, list]) => [normaliseSource(s), list.map(secretKey)])),
    fallback: fallback.map(secretKey),
  }
}
