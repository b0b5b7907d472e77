import path from 'node:path'
import t, { type Test } from 'tap'
import { StoreUnavailableError, type InfraSyncError } from '../../src/core/errors.js'
import type { Logger } from '../../src/core/logger.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import type { WorkerMetrics } from '../../src/observability/metrics.js'
import { PostgresStore } from '../../src/store/postgres-store.js'
import type { EventRecord, Store } from '../../src/store/store.js'
import { Worker } from '../../src/worker/worker.js'
import type { WorkerOptions } from '../../src/worker/worker-options.js'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { freshDatabase } from '../helpers/postgres.js'
import { exampleInfraFiles, startTestServer, type TestServer } from '../helpers/server.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * Several replicas on one PostgreSQL database and one infra repo: each runs a
 * Worker, only the holder of the repo's lease works, and a worker that lost
 * it writes nothing (its writes are fenced by the lease's token).
 */
const metrics: WorkerMetrics = { batch() {}, heap() {}, push() {}, commit() {}, eventToCommit() {}, finished() {}, circuit() {} }
const FINAL = ['applied', 'skipped', 'rejected', 'superseded', 'declined', 'proposed']

/** A store whose calls the test watches and can cut: claims are counted, lease renewals can be made to fail, fenced-write errors are kept. */
function watched(inner: Store) {
  const seen = { claims: 0, refused: [] as string[], renewalsCut: false }
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      const fn = value as (...args: unknown[]) => Promise<unknown>
      return async (...args: unknown[]) => {
        if (prop === 'claim') seen.claims++
        if ((prop === 'renewLease' || prop === 'acquireLease') && seen.renewalsCut) throw new StoreUnavailableError('cut by the test')
        try {
          return await fn.apply(target, args)
        } catch (e) {
          if (['claim', 'markPushing', 'finish'].includes(String(prop))) seen.refused.push((e as InfraSyncError).code)
          throw e
        }
      }
    },
  })
  return { store, seen }
}

/** Warnings with their codes, to see what a worker said about its lease. */
function recordingLog() {
  const warned: { code?: string; msg?: string }[] = []
  const log: Logger = { info() {}, debug() {}, error() {}, warn: (obj, msg) => warned.push({ ...(obj as { code?: string }), ...(msg !== undefined && { msg }) }) }
  return { log, warned }
}

async function replicas(t: Test, options: Partial<WorkerOptions>) {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const url = await freshDatabase(t)
  const replica = async (name: string, failpoint?: (point: string) => void | Promise<void>) => {
    const pg = new PostgresStore(url, { role: 'worker' })
    await pg.init()
    const { store, seen } = watched(pg)
    const remote = new HttpRemote({ url: gitServer.url, branch: 'main', clonesDir: path.join(dir, `clones-${name}`) })
    await remote.prepare()
    const { log, warned } = recordingLog()
    const leader: boolean[] = []
    const worker = new Worker({ store, remote, log, metrics, ...(failpoint && { failpoint }), onLeader: (l) => leader.push(l), options: { pollMs: 20, retryBaseMs: 20, retryCapMs: 200, ...options } })
    t.teardown(async () => {
      await worker.stop()
      await remote.close()
      await pg.close()
    })
    return { name, worker, store, pg, seen, warned, leader }
  }
  let n = 0
  const accept = async (store: Store, source: string, image: string, tag: string) =>
    (await store.accept({ source, deliveryId: `d-${++n}`, event: { source, image, tag, ref: 'refs/heads/main' }, receivedAt: new Date() })).id
  const orders = (store: Store, tag: string) => accept(store, 'acme/orders-api', 'ghcr.io/acme/orders-api', tag)
  const payments = (store: Store, tag: string) => accept(store, 'acme/payments', 'ghcr.io/acme/payments-worker', tag)
  const final = (store: Store, id: string) =>
    eventually(async () => {
      const r = await store.get(id)
      return r && FINAL.includes(r.status) ? r : undefined
    }, 20_000, `event ${id} to reach a final status`)
  /** Each event is carried by exactly one commit of the branch, the one its record names. */
  const onceEach = (t: Test, records: readonly EventRecord[]) => {
    const log = commits(bare)
    for (const r of records) {
      const carrying = log.filter((c) => c.events.includes(r.id))
      t.equal(carrying.length, 1, `${r.id} is in one commit`)
      t.equal(carrying[0]?.sha, r.commit, 'the commit its record names')
    }
    git(bare, 'fsck')
  }
  return { bare, replica, orders, payments, final, onceEach }
}

t.test('two workers on one database: the lease holder alone claims, and every event is applied by exactly one commit', async (t) => {
  const { replica, orders, payments, final, onceEach } = await replicas(t, { leaseTtlMs: 3000 })
  const a = await replica('a')
  const b = await replica('b')
  a.worker.start()
  b.worker.start()
  const leader = await eventually(() => [a, b].find((r) => r.worker.leader), 20_000, 'a leader')
  const other = leader === a ? b : a
  await eventually(() => other.leader.includes(false) || undefined, 20_000, 'the other to hear it is not the leader')
  const records: EventRecord[] = []
  // Accepted by either replica (each is an intake); one event at a time, so none supersedes another.
  for (const [i, tag] of ['1.4.2', '1.4.3', '1.4.4'].entries()) {
    const intake = i % 2 === 0 ? other : leader
    const id = await orders(intake.store, tag)
    const pid = await payments(intake.store, `main-${i}`)
    a.worker.wake()
    b.worker.wake()
    records.push(await final(a.store, id), await final(a.store, pid))
  }
  t.same(new Set(records.map((r) => r.status)), new Set(['applied']))
  onceEach(t, records)
  t.ok(leader.seen.claims > 0, 'the leader claimed')
  t.equal(other.seen.claims, 0, 'the other never claimed')
  t.ok(leader.worker.leader, 'the leader kept its lease throughout')
  t.notOk(other.worker.leader)
})

for (const point of ['after-commit', 'after-push'] as const) {
  t.test(`takeover while the leader is held ${point}: the new leader settles every event once; the old one writes nothing`, async (t) => {
    const { bare, replica, orders, payments, final, onceEach } = await replicas(t, { leaseTtlMs: 1000 })
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    let reached!: () => void
    const atPoint = new Promise<void>((r) => (reached = r))
    let blocked = false
    const a = await replica('a', async (name) => {
      if (name !== point || blocked) return
      blocked = true
      reached()
      await held
    })
    a.worker.start()
    await eventually(() => a.worker.leader || undefined, 20_000, 'a to lead')
    const b = await replica('b')
    b.worker.start()
    await eventually(() => b.leader.includes(false) || undefined, 20_000, 'b to stand by')

    const ids = [await orders(a.store, '1.4.2'), await payments(b.store, 'main-abc')]
    a.worker.wake()
    await atPoint
    // A's store goes silent for lease calls: its renewals fail, its lease runs out, and B takes over.
    a.seen.renewalsCut = true
    await eventually(() => b.worker.leader || undefined, 20_000, 'b to take over')
    const settled = await Promise.all(ids.map((id) => final(b.store, id)))
    t.same(new Set(settled.map((r) => r.status)), new Set(['applied']))
    onceEach(t, settled)
    // after-push: A's commit landed and B settled its events from its trailers; after-commit: B made the commit.
    const before = commits(bare).length

    // A goes on: it must neither push nor write anything.
    release()
    const lost = await eventually(() => a.warned.find((w) => w.code === 'LEASE_LOST' && /mid-batch/.test(w.msg ?? '')), 20_000, 'A to give up its batch')
    t.equal(lost.code, 'LEASE_LOST')
    if (point === 'after-push') t.ok(a.seen.refused.includes('LEASE_LOST'), "A's fenced write was refused")
    await a.worker.whenIdle()
    const after = await Promise.all(ids.map((id) => b.store.get(id)))
    t.same(after, settled, 'the records are as B left them')
    onceEach(t, settled)
    t.equal(commits(bare).length, before, 'A pushed nothing more')
    t.notOk(a.worker.leader)
    t.ok(b.worker.leader)
  })
}

t.test('/readyz: a replica that does not hold the lease is ready and says so; it takes over when the leader stops', async (t) => {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const databaseUrl = await freshDatabase(t)
  const worker = { pollMs: 50, retryBaseMs: 50, retryCapMs: 500, leaseTtlMs: 2000 }
  const readyz = async (s: TestServer) => {
    const res = await s.app.inject({ method: 'GET', url: '/readyz' })
    return { code: res.statusCode, body: res.json() as { status: string; checks: Record<string, string>; worker?: { leader: boolean } } }
  }
  const first = await startTestServer(t, { location: gitServer.url, kind: 'http' }, { databaseUrl, worker })
  await eventually(async () => ((await readyz(first)).body.worker?.leader ? true : undefined), 20_000, 'the first to lead')
  const second = await startTestServer(t, { location: gitServer.url, kind: 'http' }, { databaseUrl, worker })
  const standby = await eventually(async () => {
    const r = await readyz(second)
    return r.body.worker?.leader === false ? r : undefined
  }, 20_000, 'the second to know it is not the leader')
  t.equal(standby.code, 200, 'ready: it accepts events')
  t.equal(standby.body.status, 'ready')
  t.match(standby.body.checks.repo, /^standby/)
  t.equal(standby.body.checks.store, 'ok')
  t.equal(second.worker.repoHealth.fetched, false, 'ready without having fetched the repo')
  const leading = await eventually(async () => {
    const r = await readyz(first)
    return r.code === 200 ? r : undefined
  }, 20_000, 'the leader to be ready')
  t.equal(leading.body.checks.repo, 'ok')

  await first.close()
  const took = await eventually(async () => {
    const r = await readyz(second)
    return r.body.worker?.leader && r.code === 200 ? r : undefined
  }, 20_000, 'the second to take over and fetch')
  t.equal(took.body.checks.repo, 'ok')
})
