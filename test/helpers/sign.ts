import { createHmac } from 'node:crypto'

function bodySource(body: string): string | undefined {
  try {
    const s = (JSON.parse(body) as { source?: unknown })?.source
    return typeof s === 'string' ? s : undefined
  } catch {
    return undefined
  }
}

/**
 * Signs a body per Standard Webhooks with a raw-string secret, as a CI would
 * with openssl, and names the source in `infra-sync-source` as a CI does: by
 * default the body's own `source`; `source: null` names none (an old sender).
 */
export function signedHeaders(secret: string, body: string, opts: { id?: string; timestamp?: number; source?: string | null } = {}): Record<string, string> {
  const id = opts.id ?? `msg_${Math.random().toString(36).slice(2)}${Date.now()}`
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000)
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret)
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')
  const source = opts.source === undefined ? bodySource(body) : opts.source
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}`, ...(source !== null && source !== undefined && { 'infra-sync-source': source }) }
}

export const SECRET_A = 'orders-api-secret-0123456789abcdef'
export const SECRET_B = 'payments-secret-0123456789abcdef00'
export const FALLBACK = 'shared-fallback-secret-0123456789ab'
