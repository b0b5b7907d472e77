import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * git names are bytes. A human's file whose name is not UTF-8, beside the
 * file a deploy edits, comes out of the worker's commit exactly as it went in.
 */
const NAME = Buffer.from('notes-\xe9.txt', 'latin1')
const DEV = 'services/orders-api/overlays/dev'
const lsTree = (bare: string, rev: string) => execFileSync('git', ['ls-tree', '-z', rev], { cwd: bare }).toString('latin1').split('\0').filter(Boolean)

t.test('a deploy keeps a sibling whose name is not UTF-8, byte for byte', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  fs.writeFileSync(Buffer.concat([Buffer.from(`${work}/${DEV}/`), NAME]), 'runbook, written on a latin-1 machine\n')
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'notes')
  git(work, 'push', '-q', 'origin', 'main')
  const before = lsTree(bare, `main:${DEV}`)

  const server = await startTestServer(t, { location: bare, kind: 'local' })
  const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' })
  const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })
  const id = res.json().id as string
  const applied = await eventually(async () => {
    const r = await server.store.get(id)
    return r?.status === 'applied' ? r : undefined
  }, 30_000, 'the event to be applied')
  t.equal(commits(bare)[0]!.sha, applied.commit)
  const after = lsTree(bare, `main:${DEV}`)
  const notes = (list: string[]) => list.filter((e) => e.startsWith('100644 blob') && !e.endsWith('\tkustomization.yaml'))
  t.same(notes(after), notes(before), 'the sibling: same name bytes, same blob')
  t.ok(notes(after)[0]!.endsWith(`\t${NAME.toString('latin1')}`))
  t.equal(git(bare, 'diff', '--name-only', `${applied.commit}~1`, applied.commit).trim(), `${DEV}/kustomization.yaml`, 'only the deployed file changed')
  git(bare, 'fsck', '--strict', '--no-dangling')
})
