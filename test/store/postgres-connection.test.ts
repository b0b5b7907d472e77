import net from 'node:net'
import pg from 'pg'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { ConfigError, StoreUnavailableError } from '../../src/core/errors.js'
import { describeStoreUrl, openStore } from '../../src/store/open-store.js'
import { PostgresStore } from '../../src/store/postgres-store.js'
import { freshDatabase, POSTGRES_ADMIN_URL } from '../helpers/postgres.js'
import { tmpDir } from '../helpers/tmp.js'
import { silentRelay } from './silent-relay.js'

/** The PostgreSQL store's errors: a bad URL is configuration, an unreachable database is retryable; the password is never shown. */
const PASSWORD = 'pw-never-shown-7d1c'

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const shown = (e: unknown) => JSON.stringify({ message: (e as Error).message, data: (e as ConfigError).data, cause: String((e as Error).cause ?? '') })

t.test('a bad URL is CONFIG_INVALID before anything connects', async (t) => {
  for (const url of [`postgres://u:${PASSWORD}@/db`, `postgres://u:${PASSWORD}@host`, `postgres://u:${PASSWORD}@host:port/db`, 'postgres://']) {
    try {
      new PostgresStore(url)
      t.fail(`${url} was accepted`)
    } catch (e) {
      t.ok(e instanceof ConfigError, 'a ConfigError')
      t.equal((e as ConfigError).code, 'CONFIG_INVALID')
      t.notOk(shown(e).includes(PASSWORD), 'no password in the error')
    }
  }
  await t.rejects(openStore('mysql://x/y'), { code: 'CONFIG_INVALID' })
})

t.test('an unreachable server is STORE_UNAVAILABLE, retryable, without the password', async (t) => {
  const store = new PostgresStore(`postgres://u:${PASSWORD}@127.0.0.1:${await closedPort()}/db`, { connectTimeoutMs: 2000 })
  t.teardown(() => store.close())
  const e = await store.init().then(() => null, (e: unknown) => e)
  t.ok(e instanceof StoreUnavailableError)
  t.match(e, { code: 'STORE_UNAVAILABLE', retryable: true })
  t.notOk(shown(e).includes(PASSWORD), 'no password in the error')
  await t.rejects(store.accept({ source: 'acme/a', deliveryId: 'd', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1' }, receivedAt: new Date() }), { code: 'STORE_UNAVAILABLE' })
  await t.rejects(store.ping(), { code: 'STORE_UNAVAILABLE' })
})

t.test('openStore picks the store by scheme; logs see a PostgreSQL URL without its credentials', async (t) => {
  const url = await freshDatabase(t)
  for (const u of [url, url.replace(/^postgres:/, 'postgresql:')]) {
    const store = await openStore(u, 'intake')
    t.teardown(() => store.close())
    t.equal(store.kind, 'postgres')
    await store.init()
    await store.ping()
  }
  t.equal((await openStore('sqlite::memory:')).kind, 'sqlite')
  t.equal(describeStoreUrl(`postgres://u:${PASSWORD}@db.example:5433/infra?password=${PASSWORD}`), 'postgres://db.example:5433/infra')
})

t.test('connections the server ends are replaced: the store answers again, the process lives on', async (t) => {
  const url = await freshDatabase(t)
  const store = new PostgresStore(url)
  t.teardown(() => store.close())
  await store.init()
  await store.ping()
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await admin.connect()
  t.teardown(() => admin.end())
  const name = new URL(url).pathname.slice(1)
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])
  // A query already on its way to a dropped connection fails as unavailable; the next one gets a new connection.
  await store.ping().catch((e: unknown) => t.match(e, { code: 'STORE_UNAVAILABLE' }))
  await store.ping()
  t.same(await store.counts(), {})
})

t.test('the configuration takes a postgres URL and refuses a malformed one without repeating it', async (t) => {
  const dir = tmpDir(t)
  const env = { INFRA_SYNC_IN_CONTAINER: 'false' }
  const url = `postgresql://u:${PASSWORD}@db.example:5432/infra`
  t.equal(loadConfig({ ...env, INFRA_SYNC_DATABASE_URL: url }, dir).databaseUrl, url)
  for (const bad of [`postgres://u:${PASSWORD}@db.example`, `mysql://u:${PASSWORD}@db.example/infra`]) {
    const e = (() => {
      try {
        loadConfig({ ...env, INFRA_SYNC_DATABASE_URL: bad }, dir)
        return null
      } catch (e) {
        return e
      }
    })()
    t.match(e, { code: 'CONFIG_INVALID', data: { setting: 'INFRA_SYNC_DATABASE_URL' } })
    t.notOk(shown(e).includes(PASSWORD), 'no password in the error')
  }
})

t.test('a connection that goes silent fails the query as STORE_UNAVAILABLE instead of hanging', async (t) => {
  const url = new URL(await freshDatabase(t))
  // Migrated directly first: the short timeout below is for the queries under test, not for creating tables on a busy machine.
  const direct = new PostgresStore(url.toString())
  await direct.init()
  await direct.close()
  const relay = await silentRelay(t, new URL(url))
  url.host = `127.0.0.1:${relay.port}`
  const store = new PostgresStore(url.toString(), { queryTimeoutMs: 1000, connectTimeoutMs: 1000 })
  t.teardown(() => store.close())
  await store.init()
  await store.ping()
  relay.silence()
  await t.rejects(store.ping(), { code: 'STORE_UNAVAILABLE' })
  await t.rejects(store.accept({ source: 'acme/a', deliveryId: 'd', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1' }, receivedAt: new Date() }), { code: 'STORE_UNAVAILABLE' })
})
