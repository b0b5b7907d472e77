import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { openStore } from '../../src/store/open-store.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { tmpDir } from '../helpers/tmp.js'
import { checkIndependent } from './namespace-independence.js'

/** Namespaces (several infra repos) on SQLite: a file each beside the configured one, apart from one another and from it. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]

async function open(t: Test, url: string, namespace?: string) {
  const s = await openStore(url, 'worker', namespace)
  t.teardown(() => s.close())
  await s.init()
  return s
}

t.test('two namespaces in one folder keep events, dedupe, claims, leases, history and proposals apart', async (t) => {
  const dir = tmpDir(t)
  const url = `sqlite:${path.join(dir, 'infra-sync.db')}`
  const [a, b] = [await open(t, url, 'team-a'), await open(t, url, 'team-b')]
  t.ok(fs.existsSync(path.join(dir, 'infra-sync.team-a.db')) && fs.existsSync(path.join(dir, 'infra-sync.team-b.db')), 'a file each, beside the configured one')
  t.notOk(fs.existsSync(path.join(dir, 'infra-sync.db')), 'the default file is not made by a namespace')
  await checkIndependent(t, a, b)
  const plain = await open(t, url)
  t.same(await plain.counts(), {}, 'the default store saw none of it')
})

t.test('a namespace opened again finds its events; the default store keeps its own file as before', async (t) => {
  const dir = tmpDir(t)
  const url = `sqlite://${path.join(dir, 'store')}`
  const first = await open(t, url, 'x')
  const { id } = await first.accept({ source: 'acme/a', deliveryId: 'd', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1' }, receivedAt: new Date() })
  await first.close()
  t.ok(fs.existsSync(path.join(dir, 'store.x')), 'no extension: the namespace is appended')
  t.match(await (await open(t, url, 'x')).get(id), { id, status: 'queued' })
  t.equal(await (await open(t, url)).get(id), null)
  t.ok(fs.existsSync(path.join(dir, 'store')), "the default store is the URL's file itself")
})

t.test('a bad namespace is a ConfigError and opens no file', async (t) => {
  const dir = tmpDir(t)
  for (const bad of ['../up', 'A', '', 'a/b']) {
    await t.rejects(openStore(`sqlite:${path.join(dir, 'x.db')}`, 'worker', bad), { code: 'CONFIG_INVALID' }, JSON.stringify(bad))
    t.throws(() => SqliteStore.fromUrl(`sqlite:${path.join(dir, 'x.db')}`, 'worker', bad), { code: 'CONFIG_INVALID' })
  }
  t.same(fs.readdirSync(dir), [])
})
