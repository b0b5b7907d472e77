import { backoffMs } from '../worker/backoff.js'
import { ServerRefusedError, ServerUnavailableError } from './client-errors.js'

/** Answers worth trying again: the server asked for it (429, 503) or a proxy in front of it failed (502, 504). */
const RETRY_STATUSES = new Set([429, 502, 503, 504])

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number
  readonly baseMs: number
  readonly capMs: number
  /** A Retry-After longer than this is cut to it. */
  readonly maxRetryAfterMs: number
  /** Each attempt's own deadline. */
  readonly timeoutMs: number
  readonly sleep: (ms: number) => Promise<void>
  readonly random: () => number
  /** Told before each wait: the attempt that failed and why (a status or a network error's code). */
  readonly onRetry?: (attempt: number, why: string, waitMs: number) => void
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 10,
  baseMs: 1000,
  capMs: 30_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 30_000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: Math.random,
}

/** Seconds of a Retry-After header (delta-seconds or an HTTP date), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000
  const at = Date.parse(header)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

async function refusal(res: Response): Promise<ServerRefusedError> {
  let body: { code?: unknown; reason?: unknown } = {}
  try {
    body = (await res.json()) as typeof body
  } catch {
    // Not our JSON (a proxy's page): the status is all there is.
  }
  const code = typeof body.code === 'string' ? body.code : `HTTP_${res.status}`
  const reason = typeof body.reason === 'string' ? body.reason : res.statusText || 'refused'
  return new ServerRefusedError(code, `${res.status} ${code}: ${reason}`, { status: res.status })
}

/**
 * Runs `attempt` (one HTTP request; it gets an abort signal) until it gets a
 * 2xx, retrying 429/502/503/504 and network failures with capped, jittered
 * backoff (a Retry-After is honoured). Any other answer is final: its code
 * comes back as a ServerRefusedError.
 */
export async function requestWithRetry(attempt: (signal: AbortSignal) => Promise<Response>, opts: RetryOptions = DEFAULT_RETRY): Promise<Response> {
  let last = 'none'
  for (let n = 1; ; n++) {
    let wait: number | undefined
    try {
      const res = await attempt(AbortSignal.timeout(opts.timeoutMs))
      if (res.ok) return res
      if (!RETRY_STATUSES.has(res.status)) throw await refusal(res)
      last = `HTTP ${res.status}`
      wait = retryAfterMs(res.headers.get('retry-after'), Date.now())
      await res.body?.cancel()
    } catch (e) {
      if (e instanceof ServerRefusedError) throw e
      const err = e as Error & { cause?: { code?: string } }
      last = err.cause?.code ?? (err.name === 'TimeoutError' ? 'timeout' : err.name)
    }
    if (n >= opts.attempts) throw new ServerUnavailableError(`the server did not take the request after ${n} attempts (last: ${last})`, { attempts: n, last })
    const ms = Math.min(wait ?? backoffMs(n, opts.baseMs, opts.capMs, opts.random), opts.maxRetryAfterMs)
    opts.onRetry?.(n, last, ms)
    await opts.sleep(ms)
  }
}
