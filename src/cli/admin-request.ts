import { UsageError } from '../client/client-errors.js'
import { DEFAULT_RETRY, type RetryOptions } from '../client/request-with-retry.js'
import { serverUrl } from '../client/server-url.js'

export interface AdminIo {
  readonly out: (s: string) => void
  readonly err: (s: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  readonly retry?: RetryOptions
}

/** The same rule the server's schemas have: refused here, with exit 2, before anything is sent. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/

/** Someone at a terminal: a few quick tries, not the minutes source CI's notify waits out. */
const INTERACTIVE_RETRY: RetryOptions = { ...DEFAULT_RETRY, attempts: 3, capMs: 4000, timeoutMs: 15_000 }

export function checkNames(service: string, env: string): void {
  if (!NAME.test(service)) throw new UsageError(`SERVICE must be a service's folder name (got ${JSON.stringify(service)})`, { argument: 'service' })
  if (!NAME.test(env)) throw new UsageError(`ENV must be an environment's name (got ${JSON.stringify(env)})`, { argument: 'env' })
}

/** What an operator command that talks to the server needs: its base URL, the admin token's header, retries that say so. */
export function adminClient(server: string | undefined, io: AdminIo) {
  const given = server ?? io.env.INFRA_SYNC_SERVER
  if (!given) throw new UsageError("--server URL (or INFRA_SYNC_SERVER) is required: the server's base URL", { option: 'server' })
  const base = serverUrl(given)
  const token = io.env.INFRA_SYNC_ADMIN_TOKEN
  const headers: Record<string, string> = { accept: 'application/json', ...(token && { authorization: `Bearer ${token}` }) }
  const retry: RetryOptions = { ...(io.retry ?? INTERACTIVE_RETRY), onRetry: (n, why, ms) => io.err(`infra-sync: attempt ${n} failed (${why}); again in ${(ms / 1000).toFixed(1)} s\n`) }
  return { base, headers, retry }
}
