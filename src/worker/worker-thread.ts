import { parentPort, workerData } from 'node:worker_threads'
import { stdSerializers } from 'pino'
import { InfraSyncError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { failpoint } from '../failpoints.js'
import { openForge } from '../forges/open-forge.js'
import { openRemote } from '../git/open-remote.js'
import type { WorkerMetrics } from '../observability/metrics.js'
import { openStore } from '../store/open-store.js'
import type { ReplicaHint } from '../store/replica-hint.js'
import { exampleEvent } from './example-event.js'
import type { FromWorker, ToWorker, WorkerThreadConfig } from './messages.js'
import { ServiceStates } from './service-states.js'
import { servicesReply } from './services-reply.js'
import { Worker } from './worker.js'
import { Notifier } from '../notifications/notifier.js'
import { parseWindows } from '../windows/deploy-windows.js'
import { commitWebUrl } from '../forges/commit-web-url.js'
import { promotionLoop } from '../promotion/promotion-loop.js'

/**
 * The worker's own thread: planning, editing and pushing never hold up the
 * HTTP intake on the main thread. It has its own connection to the store;
 * logs and metrics go to the main thread as messages.
 */
const port = parentPort!
const config = workerData as WorkerThreadConfig
const post = (m: FromWorker) => port.postMessage(m)

function cloneable(obj: object): object {
  const out: Record<string, unknown> = { ...obj }
  if ('err' in out && out.err instanceof Error) out.err = stdSerializers.err(out.err)
  return out
}

const log: Logger = {
  info: (obj, msg) => post({ type: 'log', level: 'info', obj: cloneable(obj), ...(msg !== undefined && { msg }) }),
  warn: (obj, msg) => post({ type: 'log', level: 'warn', obj: cloneable(obj), ...(msg !== undefined && { msg }) }),
  error: (obj, msg) => post({ type: 'log', level: 'error', obj: cloneable(obj), ...(msg !== undefined && { msg }) }),
  debug: (obj, msg) => post({ type: 'log', level: 'debug', obj: cloneable(obj), ...(msg !== undefined && { msg }) }),
}

const metrics: WorkerMetrics = {
  batch: (n) => post({ type: 'metric', name: 'batch', arg: n }),
  heap: (bytes) => post({ type: 'metric', name: 'heap', arg: bytes }),
  push: (result) => post({ type: 'metric', name: 'push', arg: result }),
  commit: () => post({ type: 'metric', name: 'commit' }),
  eventToCommit: (s) => post({ type: 'metric', name: 'eventToCommit', arg: s }),
  finished: (status) => post({ type: 'metric', name: 'finished', arg: status }),
  circuit: (open) => post({ type: 'metric', name: 'circuit', arg: open ? 1 : 0 }),
  forgeRequests: (n) => post({ type: 'metric', name: 'forgeRequests', arg: n }),
}

try {
  // The repo's own namespace when it is one of several (repos:); the default for the one repo.
  const store = await openStore(config.databaseUrl, 'worker', config.repo.name)
  await store.init()
  // The same credentials serve the forge's API and git (a GitHub App's installation token is refreshed for both).
  const pacing = config.repo.forge?.pacing
  const forged = config.repo.forge ? openForge(config.repo.forge, log, pacing && { pacing: { ...(pacing.writeMs !== undefined && { writeMinMs: pacing.writeMs }), ...(pacing.notificationMs !== undefined && { notificationMinMs: pacing.notificationMs }) } }) : undefined
  const remote = openRemote(config.repo, config.dataDir, { log, failpoint, ...(forged && { credentials: forged.credentials }) })
  await remote.prepare()
  // The last head the worker knew: a worker that lost the lease forgets its head, but `status` can still read that one.
  let lastHead: string | null | undefined
  const states = new ServiceStates(remote.objects)
  const windows = parseWindows(config.windows ?? [], 'windows')
  const worker = new Worker({
    store,
    remote,
    ...(forged && { forge: forged.forge }),
    ...(config.sourceReports && { reports: config.sourceReports }),
    ...(windows.length > 0 && { windows }),
    log,
    metrics,
    failpoint,
    ...(config.notifications && config.notifications.size > 0 && { notifier: new Notifier({ outbox: store.outbox, targets: config.notifications, log, clock: () => new Date() }) }),
    commitUrl: commitWebUrl(config.repo),
    options: { ...config.worker, author: config.author },
    onHead: (head) => {
      if (head !== undefined) lastHead = head
      post({ type: 'head', head })
    },
    onRepoHealth: (health) => post({ type: 'repo', health }),
    onLeader: (leader) => post({ type: 'leader', leader }),
  })
  // Promotion after health runs beside the batches while this worker leads.
  const promotions = promotionLoop({ store, remote, worker, log, ...(config.argocd && { argocd: config.argocd }) })
  // PostgreSQL: an event accepted by another replica wakes this worker at once (LISTEN/NOTIFY), not a poll later.
  const unlisten = await store.onEventsDue?.(() => worker.wake())
  // A webhook's hint acts only on the lease holder (each of these checks the lease): a standby
  // relays what its webhooks hear over the store to the leader, which would otherwise wait for its poll.
  const act = (h: ReplicaHint) => (h.type === 'refresh' ? void worker.refresh() : h.type === 'pull-request' ? void worker.pullRequestChanged(h.number) : promotions.hint(h.application))
  const unhint = await store.onHint?.(act)
  const heard = (h: ReplicaHint) => {
    act(h)
    if (!worker.leader) store.hint?.(h).catch((e: unknown) => log.warn({ code: (e as InfraSyncError).code, hint: h.type }, 'could not relay a hint to the leader; its poll will see it'))
  }
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'wake') worker.wake()
    else if (m.type === 'refresh' || m.type === 'pull-request' || m.type === 'argocd') heard(m)
    else if (m.type === 'idle') worker.whenIdle().then(() => post({ type: 'reply', ticket: m.ticket, value: null }))
    else if (m.type === 'example') {
      const value = await worker.exclusive(() => exampleEvent(remote)).catch(() => null)
      post({ type: 'reply', ticket: m.ticket, value })
    } else if (m.type === 'services') {
      const head = () => (worker.knownHead !== undefined ? worker.knownHead : lastHead)
      post({ type: 'reply', ticket: m.ticket, value: await servicesReply({ store, states, exclusive: (fn) => worker.exclusive(fn), head, windows }, m.service) })
    } else if (m.type === 'stop') {
      await promotions.stop()
      await worker.stop()
      await unlisten?.()
      await unhint?.()
      await store.close()
      await remote.close()
      post({ type: 'stopped' })
      port.close()
    }
  })
  worker.start()
  promotions.start()
  post({ type: 'ready', head: worker.knownHead })
} catch (e) {
  post({ type: 'fatal', error: { ...(e instanceof InfraSyncError && { code: e.code }), message: (e as Error).message } })
}
