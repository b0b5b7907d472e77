import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, SECRET_B, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

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
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const hook = path.join(bare, 'hooks', 'pre-receive')
  fs.writeFileSync(hook, '#!/bin/sh\necho "branch is protected" >&2\nexit 1\n', { mode: 0o755 })
  const { startGitServer } = await import('../helpers/git-server.js')
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http' })
  const id = await post(server, { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' }, SECRET_A)
  const failed = await eventually(async () => {
    const r = await server.store.get(id)
    return r?.status === 'failed' ? r : undefined
  })
  t.equal(failed.code, 'GIT_REMOTE')
  t.match(failed.reason, /refused the push/)
  t.equal(gitServer.requests.filter((r) => r.service === 'receive-pack').length, 1, 'one attempt, not a storm of re-plans')
  fs.rmSync(hook)
  const applied = await eventually(async () => {
    const r = await server.store.get(id)
    return r?.status === 'applied' ? r : undefined
  })
  t.equal(commits(bare)[0]!.sha, applied.commit)
  git(bare, 'fsck')
})
