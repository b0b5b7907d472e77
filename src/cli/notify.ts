import { randomBytes } from 'node:crypto'
import { ciDefaults } from '../client/ci-defaults.js'
import { UsageError } from '../client/client-errors.js'
import { followEvent } from '../client/follow-event.js'
import { serverUrl } from '../client/server-url.js'
import { eventBody, signedHeaders, type NotifyInput } from '../client/event-request.js'
import { DEFAULT_RETRY, requestWithRetry, type RetryOptions } from '../client/request-with-retry.js'
import { normaliseSource } from '../core/build-event.js'

export interface NotifyOptions extends NotifyInput {
  readonly server: string
  readonly wait?: boolean
  /** Seconds --wait follows the event before giving up (exit 1, WAIT_TIMEOUT). */
  readonly timeout?: string
  readonly json?: boolean
  readonly id?: string
}

export interface NotifyIo {
  readonly out: (s: string) => void
  readonly err: (s: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  readonly retry?: RetryOptions
}

/**
 * `infra-sync notify`: the "image built" event from a source's CI, signed
 * with that source's secret, retried on 429/503/network errors under one
 * webhook-id, and with --wait followed to its final status.
 */
export async function notifyCommand(opts: NotifyOptions, io: NotifyIo): Promise<void> {
  const secret = io.env.INFRA_SYNC_SECRET
  if (!secret) throw new UsageError('set INFRA_SYNC_SECRET to the source\'s own secret (the one the server has for it)', { env: 'INFRA_SYNC_SECRET' })
  const base = serverUrl(opts.server)
  const ci = ciDefaults(io.env)
  const input: NotifyInput = { ...ci, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) }
  if (!input.source) throw new UsageError('--source OWNER/REPO is required (GitHub Actions and GitLab CI supply it)', { option: 'source' })
  const timeoutS = opts.timeout === undefined ? 900 : Number(opts.timeout)
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be a number of seconds', { option: 'timeout' })
  const source = normaliseSource(input.source)
  const body = eventBody({ ...input, source }, new Date())
  const id = opts.id ?? `notify_${randomBytes(12).toString('hex')}`
  const retry = { ...(io.retry ?? DEFAULT_RETRY), onRetry: (n: number, why: string, ms: number) => io.err(`infra-sync: attempt ${n} failed (${why}); again in ${(ms / 1000).toFixed(1)} s\n`) }
  const res = await requestWithRetry((signal) => fetch(new URL('v1/events', base), { method: 'POST', headers: signedHeaders(body, source, secret, id, new Date()), body, signal }), retry)
  const accepted = (await res.json()) as { id: string; status: string; duplicate?: string }
  if (!opts.wait) {
    io.out(opts.json ? `${JSON.stringify(accepted)}\n` : `${accepted.id} ${accepted.status}${accepted.duplicate ? ` (duplicate: ${accepted.duplicate})` : ''}\n`)
    return
  }
  io.err(`infra-sync: event ${accepted.id} ${accepted.status}; waiting for its outcome\n`)
  await followEvent({ base, id: accepted.id, timeoutS, json: opts.json === true, retry }, io)
}
