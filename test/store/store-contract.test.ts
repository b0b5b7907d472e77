import path from 'node:path'
import t from 'tap'
import { PostgresStore } from '../../src/store/postgres-store.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { Store } from '../../src/store/store.js'
import { freshDatabase } from '../helpers/postgres.js'
import { tmpDir } from '../helpers/tmp.js'
import { storeContract } from './store-contract.js'

/**
 * One Store contract, two stores: SQLite on a real file, PostgreSQL on a
 * database of its own per test; each also in a namespace (one of several
 * infra repos), which must behave as the store itself does.
 */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]

const handles = (t: Test, make: () => Store) => async () => {
  const store = make()
  t.teardown(() => store.close())
  await store.init()
  return store
}

storeContract(t, 'sqlite', {
  shared: false,
  database: async (t) => {
    const file = path.join(tmpDir(t), 'x.db')
    return handles(t, () => new SqliteStore(file))
  },
})

storeContract(t, 'postgres', {
  shared: true,
  database: async (t) => {
    const url = await freshDatabase(t)
    return handles(t, () => new PostgresStore(url))
  },
})

storeContract(t, 'sqlite namespace', {
  shared: false,
  database: async (t) => {
    const url = `sqlite:${path.join(tmpDir(t), 'x.db')}`
    return handles(t, () => SqliteStore.fromUrl(url, 'worker', 'team-a'))
  },
})

storeContract(t, 'postgres namespace', {
  shared: true,
  database: async (t) => {
    const url = await freshDatabase(t)
    return handles(t, () => PostgresStore.fromUrl(url, 'worker', 'team-a'))
  },
})
