import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { LocalRemote } from '../../src/git/local-remote.js'
import { commits, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { tmpDir } from '../helpers/tmp.js'
import { workerHarness } from '../helpers/worker-harness.js'

/**
 * The worker driven batch by batch with a hand-moved clock: no timers, no
 * timing. A remote that is down opens the circuit, which then keeps the
 * worker away from it until the backoff has passed; a branch locked by
 * another writer is neither a remote failure nor the event's fault.
 */
async function setup(t: Parameters<Parameters<typeof t.test>[1]>[0], options: Record<string, number> = {}) {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  return { bare, ...(await workerHarness(t, new LocalRemote(bare, 'main'), options)) }
}

t.test('while the circuit is open the remote is left alone; events wait without counting; one success closes it', async (t) => {
  const { bare, store, worker, calls, state, circuit, clock, accept } = await setup(t)
  state.down = true
  const first = await accept('1.5.0')
  for (let i = 1; i <= 3; i++) {
    if (i > 1) clock.advance(60 * 60_000) // past the event's retry time
    t.equal(await worker.runOnce(), 1, `batch ${i} takes the event`)
  }
  t.same(circuit, [true], 'three failures in a row opened it')
  t.equal(worker.repoHealth.circuitOpen, true)
  t.match(worker.repoHealth.lastError, /^GIT_REMOTE: /)

  // Open (the clock has not moved since): a fresh event is due, yet nothing is claimed and the remote is not asked.
  state.down = false
  const second = await accept('1.5.1')
  const before = { ...calls }
  t.equal(await worker.runOnce(), 0, 'no batch while open')
  t.same(calls, before, 'the remote was not asked')
  t.equal((await store.get(second))!.status, 'queued')

  clock.advance(60 * 60_000) // the backoff is over: one try, which works
  t.equal(await worker.runOnce(), 2)
  t.same(circuit, [true, false], 'closed by the success')
  t.same(worker.repoHealth, { fetched: true, circuitOpen: false })
  t.equal((await store.get(second))!.status, 'applied')
  const r = (await store.get(first))!
  t.equal(r.status, 'skipped', 'superseded by the newer build in the same commit')
  t.equal(r.attempts, 0, 'the outage never counted against the event')
  t.equal(commits(bare).length, 2)
})

t.test('a branch locked by another writer is contention: no circuit, no attempt counted, applied once the lock goes', async (t) => {
  const { bare, store, worker, circuit, clock, accept } = await setup(t, { pushRetries: 2 })
  const lock = path.join(bare, 'refs', 'heads', 'main.lock')
  // Held by someone else (a human's git push, no owner record); dated ahead so that it stays fresh however slow this machine is.
  fs.writeFileSync(lock, '')
  const later = new Date(Date.now() + 3_600_000)
  fs.utimesSync(lock, later, later)
  const id = await accept('1.5.0')
  for (let i = 1; i <= 5; i++) {
    t.equal(await worker.runOnce(), 1)
    const r = (await store.get(id))!
    t.equal(r.status, 'failed')
    t.equal(r.code, 'REF_LOCKED', `batch ${i}: waits on the lock`)
    t.equal(r.attempts, 0, 'not the event’s fault')
    clock.advance(60 * 60_000)
  }
  t.same(circuit, [], 'the circuit never opened')
  t.equal(worker.repoHealth.circuitOpen, false)
  fs.rmSync(lock)
  t.equal(await worker.runOnce(), 1)
  const r = (await store.get(id))!
  t.equal(r.status, 'applied')
  t.equal(commits(bare)[0]!.sha, r.commit)
})
