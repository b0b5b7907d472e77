import { ServerRefusedError } from '../client/client-errors.js'
import { requestWithRetry } from '../client/request-with-retry.js'
import { adminClient, checkNames, type AdminIo } from './admin-request.js'

export interface UnpinOptions {
  /** The server's base URL; absent: INFRA_SYNC_SERVER. */
  readonly server?: string
  readonly json?: boolean
}

/**
 * `infra-sync unpin SERVICE ENV`: DELETE /v1/pins/SERVICE/ENV with
 * INFRA_SYNC_ADMIN_TOKEN. The next build applies; one skipped while the pin
 * stood is not applied again by itself.
 */
export async function unpinCommand(service: string, env: string, opts: UnpinOptions, io: AdminIo): Promise<void> {
  checkNames(service, env)
  const { base, headers, retry } = adminClient(opts.server, io)
  const url = new URL(`v1/pins/${encodeURIComponent(service)}/${encodeURIComponent(env)}`, base)
  let retried = false
  const tries = { ...retry, onRetry: (n: number, why: string, ms: number) => ((retried = true), retry.onRetry?.(n, why, ms)) }
  let res: Response
  try {
    res = await requestWithRetry((signal) => fetch(url, { method: 'DELETE', headers, signal }), tries)
  } catch (e) {
    // A retry after a removal the answer of which was lost finds no pin: the pin is gone either way.
    if (e instanceof ServerRefusedError && e.code === 'PIN_NOT_FOUND' && retried) return io.out(opts.json ? '{"removed":null}\n' : `${service}/${env} unpinned\n`)
    throw e
  }
  const { removed } = (await res.json()) as { removed: { value?: string; kind: string } }
  io.out(opts.json ? `${JSON.stringify({ removed })}\n` : `${service}/${env} unpinned (was ${removed.kind}${removed.value ? ` at ${removed.value}` : ''}); the next build applies\n`)
}
