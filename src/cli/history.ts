import { UsageError } from '../client/client-errors.js'
import { DEFAULT_RETRY, requestWithRetry, type RetryOptions } from '../client/request-with-retry.js'
import { serverUrl } from '../client/server-url.js'

export interface HistoryOptions {
  /** The server's base URL; absent: INFRA_SYNC_SERVER. */
  readonly server?: string
  readonly env?: string
  readonly limit?: string
  readonly json?: boolean
}

export interface HistoryIo {
  readonly out: (s: string) => void
  readonly err: (s: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  readonly retry?: RetryOptions
}

/** A row as GET /v1/deployments answers it (src/http/routes/deployments.ts). */
export interface HistoryRow {
  readonly seq: number
  readonly service: string
  readonly environment: string
  readonly from?: string
  readonly to: string
  readonly commit: string
  readonly appliedAt: string
  readonly sourceCommit?: string
  readonly buildUrl?: string
  readonly pullRequest?: { readonly number: number; readonly url: string }
  readonly mergedBy?: string
  readonly kind: string
  readonly repo?: string
}

/** The same rule the server's query schema has: refused here, with exit 2, before anything is sent. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/

/** Someone at a terminal: a few quick tries, not the minutes source CI's notify waits out. */
const INTERACTIVE_RETRY: RetryOptions = { ...DEFAULT_RETRY, attempts: 3, capMs: 4000, timeoutMs: 15_000 }

const short = (sha: string | undefined) => (sha === undefined ? '-' : sha.slice(0, 12))

/** How the change reached the infra repo: its pull request and who merged it, else the commit. */
function delivery(r: HistoryRow): string {
  if (r.pullRequest) return `PR #${r.pullRequest.number}${r.mergedBy ? ` by ${r.mergedBy}` : ''} (${short(r.commit)})`
  return short(r.commit)
}

/** The rows as a table for people, newest first as given; the build URL last, as it is the longest. */
export function historyTable(rows: readonly HistoryRow[]): string {
  const several = rows.some((r) => r.repo !== undefined)
  const head = ['WHEN', ...(several ? ['REPO'] : []), 'ENV', 'CHANGE', 'SOURCE COMMIT', 'DELIVERED', 'BUILD']
  const body = rows.map((r) => [
    r.appliedAt.replace(/\.\d+Z$/, 'Z'),
    ...(several ? [r.repo ?? '-'] : []),
    r.environment,
    `${r.from ?? 'unset'} → ${r.to}${r.kind !== 'deploy' ? ` (${r.kind})` : ''}`,
    short(r.sourceCommit),
    delivery(r),
    r.buildUrl ?? '-',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  return [head, ...body].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n'
}

/**
 * `infra-sync history SERVICE`: its deployments, newest first, from the
 * server's GET /v1/deployments with INFRA_SYNC_ADMIN_TOKEN.
 */
export async function historyCommand(service: string, opts: HistoryOptions, io: HistoryIo): Promise<void> {
  if (!NAME.test(service)) throw new UsageError(`SERVICE must be a service's folder name (got ${JSON.stringify(service)})`, { argument: 'service' })
  if (opts.env !== undefined && !NAME.test(opts.env)) throw new UsageError(`--env must be an environment's name (got ${JSON.stringify(opts.env)})`, { option: 'env' })
  const limit = opts.limit === undefined ? 20 : Number(opts.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000', { option: 'limit' })
  const given = opts.server ?? io.env.INFRA_SYNC_SERVER
  if (!given) throw new UsageError("--server URL (or INFRA_SYNC_SERVER) is required: the server's base URL", { option: 'server' })
  const url = new URL('v1/deployments', serverUrl(given))
  url.searchParams.set('service', service)
  if (opts.env !== undefined) url.searchParams.set('environment', opts.env)
  url.searchParams.set('limit', String(limit))
  const token = io.env.INFRA_SYNC_ADMIN_TOKEN
  const headers: Record<string, string> = { accept: 'application/json', ...(token && { authorization: `Bearer ${token}` }) }
  const retry = { ...(io.retry ?? INTERACTIVE_RETRY), onRetry: (n: number, why: string, ms: number) => io.err(`infra-sync: attempt ${n} failed (${why}); again in ${(ms / 1000).toFixed(1)} s\n`) }
  const res = await requestWithRetry((signal) => fetch(url, { headers, signal }), retry)
  const { deployments } = (await res.json()) as { deployments: HistoryRow[] }
  if (opts.json) return io.out(`${JSON.stringify(deployments, null, 2)}\n`)
  if (deployments.length === 0) return io.err(`infra-sync: no deployments of ${service}${opts.env ? ` in ${opts.env}` : ''} recorded\n`)
  io.out(historyTable(deployments))
}
