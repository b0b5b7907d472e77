import { randomUUID } from 'node:crypto'
import { UsageError } from '../client/client-errors.js'
import { followEvent } from '../client/follow-event.js'
import { requestWithRetry } from '../client/request-with-retry.js'
import { adminClient, checkNames, type AdminIo } from './admin-request.js'

export interface RollbackOptions {
  /** The server's base URL; absent: INFRA_SYNC_SERVER. */
  readonly server?: string
  /** The value to go back to (tag, digest or tag@digest); absent: the one before the current one. */
  readonly to?: string
  /** Pass deploy windows (sent as force: true). */
  readonly force?: boolean
  readonly wait?: boolean
  /** Seconds --wait follows the event before giving up (exit 1, WAIT_TIMEOUT). */
  readonly timeout?: string
  readonly reason?: string
  readonly json?: boolean
}

/**
 * `infra-sync rollback SERVICE ENV`: POST /v1/rollbacks with
 * INFRA_SYNC_ADMIN_TOKEN, then, with --wait, the event followed as notify
 * follows one. One request id for every retry: a retried request is the
 * same rollback, never two.
 */
export async function rollbackCommand(service: string, env: string, opts: RollbackOptions, io: AdminIo): Promise<void> {
  checkNames(service, env)
  if (opts.to !== undefined && !/^[\x21-\x7e]{1,400}$/.test(opts.to)) throw new UsageError('--to must be a tag, a digest or tag@digest', { option: 'to' })
  const timeoutS = opts.timeout === undefined ? 900 : Number(opts.timeout)
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be a number of seconds', { option: 'timeout' })
  const { base, headers, retry } = adminClient(opts.server, io)
  const body = JSON.stringify({
    service,
    environment: env,
    ...(opts.to !== undefined && { to: opts.to }),
    ...(opts.reason !== undefined && { reason: opts.reason }),
    ...(opts.force && { force: true }),
    requestId: randomUUID(),
  })
  const post = { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body }
  const res = await requestWithRetry((signal) => fetch(new URL('v1/rollbacks', base), { ...post, signal }), retry)
  const accepted = (await res.json()) as { id: string; status: string; from?: string; value: string }
  if (!opts.wait) {
    io.out(opts.json ? `${JSON.stringify(accepted)}\n` : `${accepted.id} ${accepted.status}: ${service}/${env} ${accepted.from ?? ''} → ${accepted.value}, pinned\n`)
    return
  }
  io.err(`infra-sync: rollback ${accepted.id} of ${service}/${env} to ${accepted.value} ${accepted.status}; waiting for its outcome\n`)
  await followEvent({ base, id: accepted.id, timeoutS, json: opts.json === true, retry, headers }, io)
}
