import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { HttpRemote } from '../../src/git/http-remote.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { tmpDir } from '../helpers/tmp.js'
import { workerHarness } from '../helpers/worker-harness.js'

/** main protected as GitHub protects it: its pre-receive refuses every update of main with GH006. */
function protectMain(bare: string): void {
  const hook = ['#!/bin/sh', 'while read old new ref; do', '  if [ "$ref" = "refs/heads/main" ]; then', '    echo "error: GH006: Protected branch update failed for refs/heads/main." >&2', '    exit 1', '  fi', 'done', 'exit 0', ''].join('\n')
  fs.writeFileSync(path.join(bare, 'hooks', 'pre-receive'), hook, { mode: 0o755 })
}

t.test('a push the remote refuses (a protected branch): the events are dead at once, the circuit stays closed', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  protectMain(bare)
  const before = git(bare, 'rev-parse', 'main').trim()
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  // A threshold of one: were the refusal taken for an outage, one batch would open the circuit.
  const { store, worker, accept } = await workerHarness(t, new HttpRemote({ url: gitServer.url, branch: 'main', clonesDir: path.join(dir, 'clones') }), { circuitThreshold: 1 })

  const id = await accept('1.4.2')
  t.equal(await worker.runOnce(), 1)
  const dead = (await store.get(id))!
  t.equal(dead.status, 'dead', 'after one batch: no retry can change a refusal')
  t.equal(dead.code, 'PUSH_REFUSED')
  t.match(dead.reason, /GH006/, "the remote's reason, for the person who must act")
  t.equal(worker.repoHealth.circuitOpen, false, 'not an outage')
  t.equal(git(bare, 'rev-parse', 'main').trim(), before)

  // The worker carries on with the next batch as usual.
  const next = await accept('1.4.3')
  t.equal(await worker.runOnce(), 1)
  t.equal((await store.get(next))!.code, 'PUSH_REFUSED')
  t.equal(worker.repoHealth.circuitOpen, false)
})
