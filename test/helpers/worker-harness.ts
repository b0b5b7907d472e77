import path from 'node:path'
import { GitRemoteError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import type { Remote } from '../../src/git/remote.js'
import type { WorkerMetrics } from '../../src/observability/metrics.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { Worker } from '../../src/worker/worker.js'
import type { WorkerDeps, WorkerOptions } from '../../src/worker/worker-options.js'
import { tmpDir } from './tmp.js'

interface TestLike {
  teardown(fn: () => unknown): void
}

/**
 * A Worker in this process, driven batch by batch (`runOnce`) with a clock
 * the test moves by hand: no timers and no sleeps, so what it asserts does
 * not depend on the machine's pace. The remote is a real one behind a
 * switch: while `down`, every call fails as a dead remote's would.
 */
export async function workerHarness(t: TestLike, real: Remote, options: Partial<WorkerOptions> = {}, extra: Pick<WorkerDeps, 'forge' | 'reports'> = {}) {
  const dir = tmpDir(t)
  const store = SqliteStore.fromUrl(`sqlite:${path.join(dir, 'infra-sync.db')}`)
  await store.init()
  t.teardown(() => store.close())
  await real.prepare()
  t.teardown(() => real.close())
  const calls = { sync: 0, push: 0 }
  const state = { down: false }
  const down = () => new GitRemoteError('the remote is down (test)', { status: 500 })
  const remote: Remote = {
    description: real.description,
    branch: real.branch,
    get gitdir() {
      return real.gitdir
    },
    get objects() {
      return real.objects
    },
    prepare: () => real.prepare(),
    sync: async () => {
      calls.sync++
      if (state.down) throw down()
      return real.sync()
    },
    push: async (base, commit) => {
      calls.push++
      if (state.down) throw down()
      return real.push(base, commit)
    },
    listRefs: async (prefix) => {
      if (state.down) throw down()
      return real.listRefs(prefix)
    },
    pushRef: async (ref, expected, commit) => {
      if (state.down) throw down()
      return real.pushRef(ref, expected, commit)
    },
    deepen: async (commits) => {
      if (state.down) throw down()
      return real.deepen(commits)
    },
    close: () => real.close(),
  }
  const circuit: boolean[] = []
  const metrics: WorkerMetrics = { batch() {}, heap() {}, push() {}, commit() {}, eventToCommit() {}, finished() {}, circuit: (open) => circuit.push(open) }
  let now = Date.parse('2026-11-25T10:00:00Z')
  const clock = { now: () => new Date(now), advance: (ms: number) => (now += ms) }
  const worker = new Worker({
    store,
    remote,
    log: silentLogger,
    metrics,
    clock: clock.now,
    random: () => 0,
    sleep: async () => undefined,
    ...extra,
    options: { retryBaseMs: 1000, retryCapMs: 60_000, circuitThreshold: 3, ...options },
  })
  let n = 0
  const accept = async (tag: string, source = 'acme/orders-api', image = 'ghcr.io/acme/orders-api') =>
    (await store.accept({ source, deliveryId: `d-${++n}`, event: { source, image, tag, ref: 'refs/heads/main' }, receivedAt: clock.now() })).id
  return { store, worker, calls, state, circuit, clock, accept }
}
