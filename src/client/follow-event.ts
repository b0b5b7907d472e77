import { WaitTimeoutError } from './client-errors.js'
import { waitResult, type EventView } from './event-outcome.js'
import { requestWithRetry, type RetryOptions } from './request-with-retry.js'

export interface FollowOptions {
  readonly base: URL
  readonly id: string
  readonly timeoutS: number
  readonly json?: boolean
  /** Sent with every GET (the admin token, for commands that have one). */
  readonly headers?: Record<string, string>
  readonly retry: RetryOptions
}

/**
 * `--wait`: follows GET /v1/events/:id until the event ends (waitResult),
 * polling every 0.5 s up to every 5 s; prints how it ended (or the event as
 * JSON) and throws when it ended in a way a person must look at, or did not
 * end within the timeout (WAIT_TIMEOUT).
 */
export async function followEvent(o: FollowOptions, io: { readonly out: (s: string) => void; readonly err: (s: string) => void }): Promise<void> {
  const deadline = Date.now() + o.timeoutS * 1000
  let last = ''
  for (let n = 1; ; n++) {
    const view = (await (await requestWithRetry((signal) => fetch(new URL(`v1/events/${o.id}`, o.base), { ...(o.headers && { headers: o.headers }), signal }), o.retry)).json()) as EventView
    const r = waitResult(view)
    if (r.done) {
      io.out(o.json ? `${JSON.stringify(view)}\n` : `${r.line}\n`)
      if (r.error) throw r.error
      return
    }
    // A failed attempt is retried by the server: say why once, keep waiting.
    const now = `${view.status}${view.reason ? `: ${view.reason}` : ''}`
    if (now !== last) io.err(`infra-sync: ${now}\n`)
    last = now
    if (Date.now() >= deadline) throw new WaitTimeoutError(`event ${o.id} is still ${view.status} after ${o.timeoutS} s`, { id: o.id, status: view.status })
    await o.retry.sleep(Math.min(5000, 500 * n))
  }
}
