import { InfraSyncError } from '../core/errors.js'
import type { Deployment, Store } from '../store/store.js'
import type { ServicesReply } from './messages.js'
import type { ServiceStates } from './service-states.js'
import type { DeployWindow } from '../windows/deploy-windows.js'
import { serviceView, viewKey } from './service-view.js'

/** Deployment reads at once per request: enough to overlap round trips to PostgreSQL without crowding its pool. */
const CONCURRENCY = 8

export interface ServicesReplyDeps {
  readonly store: Pick<Store, 'deployments' | 'openProposals' | 'pins'>
  readonly states: ServiceStates
  /** Runs `fn` between batches (Worker.exclusive): the clone has one user at a time. */
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>
  /**
   * The head to read: the worker's known head, else the last one it knew. A
   * standby (not the leader) never fetches, so it has one only if it led
   * before; without one there is nothing to read and no fetch is made here,
   * as the remote is the leader's to poll.
   */
  readonly head: () => string | null | undefined
  /** The server's deploy windows, for environments that name none of their own. */
  readonly windows?: readonly DeployWindow[]
  readonly clock?: () => Date
}

/** The worker thread's answer to `services`: its repo's rows, built from the head it knows and its own store. */
export async function servicesReply(deps: ServicesReplyDeps, only?: string): Promise<ServicesReply> {
  try {
    const read = await deps.exclusive(async () => {
      const head = deps.head()
      return head === undefined ? undefined : { head, states: await deps.states.at(head, only) }
    })
    if (!read) return { error: { code: 'WORKER_NOT_READY', message: "this replica's worker has not read the infra repo yet (a standby that never held the repo's lease); ask again, another replica may answer" } }
    const latest = new Map<string, Deployment>()
    const keys = read.states.flatMap((s) => s.targets.map((t) => ({ service: s.service, environment: t.environment })))
    for (let i = 0; i < keys.length; i += CONCURRENCY) {
      await Promise.all(
        keys.slice(i, i + CONCURRENCY).map(async (k) => {
          const [d] = await deps.store.deployments({ ...k, limit: 1 })
          if (d) latest.set(viewKey(k.service, k.environment), d)
        }),
      )
    }
    const open = await deps.store.openProposals()
    const pins = await deps.store.pins.list()
    const windows = { server: deps.windows ?? [], now: deps.clock?.() ?? new Date() }
    return { head: read.head, rows: serviceView(read.states, latest, open, pins, windows) }
  } catch (e) {
    return { error: { code: e instanceof InfraSyncError ? e.code : 'WORKER_FAILED', message: (e as Error).message } }
  }
}
