import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, SECRET_B, signedHeaders } from '../helpers/sign.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import { startGitServer } from '../helpers/git-server.js'
import { eventually, tmpDir } from '../helpers/tmp.js'
import { workerHarness } from '../helpers/worker-harness.js'

async function post(server: Awaited<ReturnType<typeof startTestServer>>, body: object, secret: string) {
  const payload = JSON.stringify(body)
  return (await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(secret, payload), payload })).json().id as string
}

t.test('a poison event is retried a bounded number of times, then dead; other services keep flowing', async (t) => {
  const files = exampleInfraFiles()
  files['services/orders-api/overlays/dev/kustomization.yaml'] = 'images: [unclosed\n'
  const bare = makeBareRepo(tmpDir(t), files)
  const server = await startTestServer(t, { location: bare, kind: 'local' }, { worker: { pollMs: 20, retryBaseMs: 10, retryCapMs: 20, maxAttempts: 3 } })
  const poison = await post(server, { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' }, SECRET_A)
  const healthy = await post(server, { source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag: 'main-abc', ref: 'refs/heads/main' }, SECRET_B)
  const dead = await eventually(async () => {
    const r = await server.store.get(poison)
    return r?.status === 'dead' ? r : undefined
  })
  t.equal(dead.code, 'YAML_INVALID')
  t.equal(dead.attempts, 3)
  t.match(dead.reason, /gave up after 3 attempts/)
  t.equal((await server.store.get(healthy))!.status, 'applied')
  t.same(commits(bare).flatMap((c) => c.events), [healthy])
})

t.test('a remote that refuses the push itself (a hook) is not mistaken for a race', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const hook = path.join(bare, 'hooks', 'pre-receive')
  fs.writeFileSync(hook, '#!/bin/sh\necho "branch is protected" >&2\nexit 1\n', { mode: 0o755 })
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const { store, worker, clock, accept } = await workerHarness(t, new HttpRemote({ url: gitServer.url, branch: 'main', clonesDir: path.join(dir, 'clones') }))
  const id = await accept('1.4.2')
  // One batch, driven by hand: a race would be re-planned and pushed again within it.
  t.equal(await worker.runOnce(), 1)
  t.equal(gitServer.requests.filter((r) => r.service === 'receive-pack').length, 1, 'one push in the batch, not a storm of re-plans')
  const refused = (await store.get(id))!
  t.equal(refused.status, 'dead', 'no retry can change a refusal: a person must act')
  t.equal(refused.code, 'PUSH_REFUSED', 'a refusal of the remote, not a lost race')
  fs.rmSync(hook)
  await store.retry(id, clock.now())
  clock.advance(60_000)
  t.equal(await worker.runOnce(), 1)
  const applied = (await store.get(id))!
  t.equal(applied.status, 'applied')
  t.equal(commits(bare)[0]!.sha, applied.commit)
  git(bare, 'fsck')
})
