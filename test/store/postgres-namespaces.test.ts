import pg from 'pg'
import t from 'tap'
import { MIGRATIONS, migrate } from '../../src/store/postgres-migrations.js'
import { PostgresStore } from '../../src/store/postgres-store.js'
import { openStore } from '../../src/store/open-store.js'
import { freshDatabase, freshRole, POSTGRES_ADMIN_URL, withDatabase } from '../helpers/postgres.js'
import { checkIndependent } from './namespace-independence.js'

/** Namespaces (several infra repos) in one PostgreSQL database: a schema each, apart from one another and from public. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
const VERSIONS = MIGRATIONS.map((m) => m.version)

async function store(t: Test, url: string, namespace?: string) {
  const s = new PostgresStore(url, { ...(namespace !== undefined && { namespace }), listen: { minBackoffMs: 20, maxBackoffMs: 200 } })
  t.teardown(() => s.close())
  await s.init()
  return s
}

async function onDatabase<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: withDatabase(POSTGRES_ADMIN_URL, new URL(url).pathname.slice(1)) })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** Tables by schema, and each schema's migration versions. */
const tables = (url: string) =>
  onDatabase(url, async (c) => {
    const { rows } = await c.query<{ s: string; n: string }>(
      `SELECT table_schema AS s, table_name AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    )
    const out: Record<string, string[]> = {}
    for (const r of rows) (out[r.s] ??= []).push(r.n)
    return out
  })
const versions = (url: string, schema: string) =>
  onDatabase(url, async (c) => (await c.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows.map((r) => r.version))

const TABLES = ['deployments', 'events', 'leases', 'outbox', 'pins', 'promotions', 'proposals', 'rate_buckets', 'schema_migrations']

t.test('two namespaces in one database keep events, dedupe, claims, leases, history, proposals and rate buckets apart', async (t) => {
  const url = await freshDatabase(t)
  const [a, b] = [await store(t, url, 'team-a'), await store(t, url, 'team-b')]
  await checkIndependent(t, a, b)
  const plain = await store(t, url)
  t.same(await plain.counts(), {}, 'the default (public) schema saw none of it')
})

t.test("a namespace's migrations touch no other schema, and the default schema's stay where they were", async (t) => {
  const url = await freshDatabase(t)
  // public at an older version, as a deployment from before namespaces left it.
  await onDatabase(url, async (c) => {
    const p = { query: c.query.bind(c) } as unknown as pg.PoolClient
    t.same(await migrate(p, 1), [1])
  })
  await store(t, url, 'team-a')
  t.same(await tables(url), { infra_sync_team_a: TABLES, public: ['deployments', 'events', 'proposals', 'schema_migrations'] })
  t.same(await versions(url, 'infra_sync_team_a'), VERSIONS)
  t.same(await versions(url, 'public'), [1], 'public is not migrated by a namespace')

  await store(t, url, 'team-b')
  await store(t, url)
  t.same(await tables(url), { infra_sync_team_a: TABLES, infra_sync_team_b: TABLES, public: TABLES })
  t.same(await versions(url, 'public'), VERSIONS, 'the default store migrates public as before')
  t.same(await versions(url, 'infra_sync_team_a'), VERSIONS, "A's versions were recorded once")
})

t.test('stores of several namespaces starting at once make each schema once and migrate it once', async (t) => {
  const url = await freshDatabase(t)
  const starts = ['team-a', 'team-b', 'team-a', 'team-b', 'team-a'].map((ns) => store(t, url, ns))
  await Promise.all(starts)
  for (const schema of ['infra_sync_team_a', 'infra_sync_team_b']) t.same(await versions(url, schema), VERSIONS, `${schema}: each step once`)
})

t.test("openStore: a namespace's store is in its schema; a bad namespace is a ConfigError before anything connects", async (t) => {
  const url = await freshDatabase(t)
  const s = await openStore(url, 'worker', 'x-1')
  t.teardown(() => s.close())
  await s.init()
  await s.accept({ source: 'acme/a', deliveryId: 'd', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1' }, receivedAt: new Date() })
  t.equal(await onDatabase(url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM infra_sync_x_1.events')).rows[0]!.n), 1)
  for (const bad of ['X', 'a_b', '-a', 'a'.repeat(41), 'a;drop']) await t.rejects(openStore(url, 'worker', bad), { code: 'CONFIG_INVALID' }, bad)
  await t.rejects(openStore('postgres://nowhere.invalid:1/db', 'worker', 'Bad'), { code: 'CONFIG_INVALID' })
})

t.test("a namespace's store is woken by its own accepts (its own NOTIFY channel)", async (t) => {
  const url = await freshDatabase(t)
  const [a, otherReplicaOfA] = [await store(t, url, 'team-a'), await store(t, url, 'team-a')]
  let heard!: () => void
  const woken = new Promise<void>((resolve) => (heard = resolve))
  const off = await a.onEventsDue!(() => heard())
  t.teardown(off)
  await otherReplicaOfA.accept({ source: 'acme/a', deliveryId: 'd', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1' }, receivedAt: new Date() })
  await woken
  t.pass('heard')
})

t.test('a user that may not create the schema gets a ConfigError naming it; a schema made for it works', async (t) => {
  const url = await freshDatabase(t)
  const role = await freshRole(t, url)
  const refused = new PostgresStore(role.url, { namespace: 'team-a' })
  t.teardown(() => refused.close())
  const e = await refused.init().then(
    () => null,
    (x: unknown) => x as { code: string; data: Record<string, unknown>; message: string },
  )
  t.match(e, { code: 'CONFIG_INVALID', data: { schema: 'infra_sync_team_a' } })
  t.notMatch(e?.message ?? '', /not-checked-by-trust/, 'no password in it')

  await onDatabase(url, (c) => c.query(`CREATE SCHEMA infra_sync_team_b; GRANT USAGE ON SCHEMA infra_sync_team_b TO ${role.name}`))
  const usageOnly = new PostgresStore(role.url, { namespace: 'team-b' })
  t.teardown(() => usageOnly.close())
  await t.rejects(usageOnly.init(), { code: 'CONFIG_INVALID', data: { schema: 'infra_sync_team_b' } }, 'USAGE alone cannot create the tables')

  await onDatabase(url, (c) => c.query(`CREATE SCHEMA infra_sync_team_c AUTHORIZATION ${role.name}`))
  const granted = await store(t, role.url, 'team-c')
  t.equal((await granted.accept({ source: 'acme/a', deliveryId: 'd', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1' }, receivedAt: new Date() })).duplicate, false)
  t.same(await versions(url, 'infra_sync_team_c'), VERSIONS)
})

t.test("the URL's own options are kept beside the namespace's search_path", async (t) => {
  const url = new URL(await freshDatabase(t))
  url.searchParams.set('options', '-c statement_timeout=60000')
  const s = await store(t, url.toString(), 'team-a')
  t.equal((await s.accept({ source: 'acme/a', deliveryId: 'd', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1' }, receivedAt: new Date() })).duplicate, false)
  t.same(Object.keys(await tables(url.toString())), ['infra_sync_team_a'], 'the tables are in the schema, none in public')
})
