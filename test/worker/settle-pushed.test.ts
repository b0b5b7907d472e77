import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import type { EventOutcome } from '../../src/core/change-set.js'
import { silentLogger } from '../../src/core/logger.js'
import { CliRemote } from '../../src/git/cli-remote.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { settlePushed } from '../../src/worker/settle-pushed.js'
import { git } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

const NOW = new Date('2026-11-25T10:00:00Z')

/**
 * A push whose outcome was never recorded, settled from a shallow clone
 * (CliRemote over file://: depth 1) whose boundary hides the pushed commit:
 * two human commits landed on top of it.
 */
async function rig(t: Test) {
  const dir = tmpDir(t)
  const store = SqliteStore.fromUrl(`sqlite:${path.join(dir, 'db.sqlite')}`)
  await store.init()
  t.teardown(() => store.close())
  const source = 'acme/orders-api'
  const id = (await store.accept({ source, deliveryId: 'd-1', event: { source, image: 'ghcr.io/acme/orders-api', tag: '1.0.1', ref: 'refs/heads/main' }, receivedAt: NOW })).id
  await store.claim(10, NOW)
  const work = path.join(dir, 'work')
  fs.mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  const commit = (message: string) => {
    git(work, 'commit', '-q', '--allow-empty', '-m', message)
    return git(work, 'rev-parse', 'HEAD').trim()
  }
  const base = commit('seed')
  const outcome: EventOutcome = {
    id,
    status: 'applied',
    targets: [{ service: 'orders-api', environment: 'dev', file: 'k.yaml', image: 'ghcr.io/acme/orders-api', to: '1.0.1', decision: 'update', code: 'UPDATED', reason: 'newer', update: 'commit', status: 'applied' }],
  }
  await store.markPushing(base, [outcome])
  const pushed = commit(`deploy orders-api 1.0.1\n\nInfra-Sync-Event: ${id}\n`)
  commit('human 1')
  commit('human 2')
  const remote = new CliRemote({ url: `file://${work}`, branch: 'main', clonesDir: path.join(dir, 'clones') })
  await remote.prepare()
  const head = (await remote.sync())!
  t.ok(remote.objects.isShallow(head), 'the clone holds the tip only')
  const record = (await store.get(id))!
  t.equal(record.pushBase, base)
  return { store, remote, head, record, id, pushed }
}

t.test('the pushed commit behind the boundary is found after deepening: the event is final with it', async (t) => {
  const { store, remote, head, record, id, pushed } = await rig(t)
  const { remaining, settled } = await settlePushed(remote.objects, store, silentLogger, head, [record], NOW, (n) => remote.deepen(n))
  t.same(remaining, [])
  t.same(settled.map((s) => s.kind), ['final'])
  const after = await store.get(id)
  t.same([after?.status, after?.commit], ['applied', pushed])
})

t.test('history that cannot be fetched: the event is never planned again, it is dead with PUSH_OUTCOME_UNKNOWN', async (t) => {
  const { store, remote, head, record, id } = await rig(t)
  const { remaining, settled } = await settlePushed(remote.objects, store, silentLogger, head, [record], NOW, async () => false)
  t.same(remaining, [], 'not planned again: it could be pushed twice')
  t.same(settled.map((s) => s.kind), ['dead'])
  const after = await store.get(id)
  t.same([after?.status, after?.code], ['dead', 'PUSH_OUTCOME_UNKNOWN'])
})
