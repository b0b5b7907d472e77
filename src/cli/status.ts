import { UsageError } from '../client/client-errors.js'
import { DEFAULT_RETRY, requestWithRetry, type RetryOptions } from '../client/request-with-retry.js'
import { serverUrl } from '../client/server-url.js'

export interface StatusOptions {
  /** The server's base URL; absent: INFRA_SYNC_SERVER. */
  readonly server?: string
  readonly json?: boolean
}

export interface StatusIo {
  out(s: string): void
  err(s: string): void
  readonly env: Record<string, string | undefined>
  readonly retry?: RetryOptions
}

/** A row as GET /v1/services answers it (src/http/routes/services.ts). */
export interface StatusRow {
  readonly service: string
  readonly environment?: string
  readonly value?: string
  readonly recorded: boolean
  readonly since?: string
  readonly commit?: string
  readonly pullRequest?: { readonly number: number; readonly url: string }
  readonly kind?: string
  readonly pin?: { readonly by: 'config' | 'marker' | 'api'; readonly value?: string; readonly kind?: string }
  readonly update?: string
  readonly policy?: string
  readonly openPullRequest?: { readonly number: number; readonly url: string; readonly value?: string }
  readonly window?: { readonly open: boolean; readonly reason?: string; readonly nextOpenAt?: string }
  readonly error?: { readonly code: string; readonly message: string }
  readonly repo?: string
}

/** The same rule the server's query schema has: refused here, with exit 2, before anything is sent. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/

/** Someone at a terminal: a few quick tries (a standby replica answers 503 until the leader does). */
const INTERACTIVE_RETRY: RetryOptions = { ...DEFAULT_RETRY, attempts: 3, capMs: 4000, timeoutMs: 15_000 }

/** Who put the value there: its pull request, else infra-sync's commit; `-` when infra-sync's history does not hold it. */
function by(r: StatusRow): string {
  if (!r.recorded) return r.value === undefined ? '-' : 'not infra-sync'
  const how = r.pullRequest ? `PR #${r.pullRequest.number}` : (r.commit?.slice(0, 12) ?? '-')
  return r.kind !== undefined && r.kind !== 'deploy' ? `${how} (${r.kind})` : how
}

function pin(r: StatusRow): string {
  if (!r.pin) return '-'
  if (r.pin.by === 'marker') return 'marker'
  return r.pin.by === 'api' ? `${r.pin.value ?? 'pinned'} (${r.pin.kind ?? 'api'})` : (r.pin.value ?? 'pinned')
}

/** Deploy windows: `open`, or closed with the next opening (`closed` alone: none opens soon); `-` where none apply. */
function window(r: StatusRow): string {
  if (!r.window) return '-'
  if (r.window.open) return 'open'
  return r.window.nextOpenAt ? `closed until ${r.window.nextOpenAt.replace(/\.\d+Z$/, 'Z')}` : 'closed'
}

/** The rows as a table for people: one line per service × environment; a refused service says its code instead. */
export function statusTable(rows: readonly StatusRow[]): string {
  const several = rows.some((r) => r.repo !== undefined)
  // The WINDOW column only where some environment has deploy windows, as REPO only with several repos.
  const windows = rows.some((r) => r.window !== undefined)
  const head = [...(several ? ['REPO'] : []), 'SERVICE', 'ENV', 'VALUE', 'SINCE', 'BY', 'PIN', 'MODE', 'POLICY', ...(windows ? ['WINDOW'] : []), 'OPEN PR']
  const body = rows.map((r) => {
    const repo = several ? [r.repo ?? '-'] : []
    const win = windows ? [window(r)] : []
    if (r.environment === undefined) return [...repo, r.service, '-', `[${r.error?.code ?? 'NO_ENVIRONMENTS'}]`, '-', '-', '-', '-', '-', ...win, '-']
    const value = r.error ? `[${r.error.code}]` : (r.value ?? 'unset')
    const open = r.openPullRequest ? `#${r.openPullRequest.number}${r.openPullRequest.value !== undefined ? ` → ${r.openPullRequest.value}` : ''}` : '-'
    return [...repo, r.service, r.environment, value, r.since?.replace(/\.\d+Z$/, 'Z') ?? '-', by(r), pin(r), r.update ?? '-', r.policy ?? '-', ...win, open]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  return [head, ...body].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n'
}

/**
 * `infra-sync status [SERVICE]`: what runs where, from the server's
 * GET /v1/services with INFRA_SYNC_ADMIN_TOKEN.
 */
export async function statusCommand(service: string | undefined, opts: StatusOptions, io: StatusIo): Promise<void> {
  if (service !== undefined && !NAME.test(service)) throw new UsageError(`SERVICE must be a service's folder name (got ${JSON.stringify(service)})`, { argument: 'service' })
  const given = opts.server ?? io.env.INFRA_SYNC_SERVER
  if (!given) throw new UsageError("--server URL (or INFRA_SYNC_SERVER) is required: the server's base URL", { option: 'server' })
  const url = new URL('v1/services', serverUrl(given))
  if (service !== undefined) url.searchParams.set('service', service)
  const token = io.env.INFRA_SYNC_ADMIN_TOKEN
  const headers: Record<string, string> = { accept: 'application/json', ...(token && { authorization: `Bearer ${token}` }) }
  const retry = { ...(io.retry ?? INTERACTIVE_RETRY), onRetry: (n: number, why: string, ms: number) => io.err(`infra-sync: attempt ${n} failed (${why}); again in ${(ms / 1000).toFixed(1)} s\n`) }
  const res = await requestWithRetry((signal) => fetch(url, { headers, signal }), retry)
  const { services } = (await res.json()) as { services: StatusRow[] }
  if (opts.json) return io.out(`${JSON.stringify(services, null, 2)}\n`)
  if (services.length === 0) return io.err('infra-sync: the infra repo has no services\n')
  io.out(statusTable(services))
}
