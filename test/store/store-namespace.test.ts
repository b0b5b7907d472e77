import t from 'tap'
import { connectionOptions } from '../../src/store/postgres-connection.js'
import { eventsChannel } from '../../src/store/postgres-sql.js'
import { checkNamespace, isEventId, namespacedSqliteFile, postgresSchema, quoteIdent } from '../../src/store/store-namespace.js'
import { eventIdFactory } from '../../src/store/event-id.js'

/** The pure parts of store namespaces: names, files, schemas, channels, ids. */

t.test('a namespace is 1-40 of a-z, 0-9 and -, starting with a letter or digit', async (t) => {
  for (const ok of ['a', 'team-a', '0', 'a'.repeat(40), 'x-1-']) t.equal(checkNamespace(ok), ok)
  for (const bad of ['', '-a', 'A', 'team_a', 'a.b', 'a/b', 'a'.repeat(41), 'é', 'a b', '"a"']) {
    t.throws(() => checkNamespace(bad), { code: 'CONFIG_INVALID' }, JSON.stringify(bad))
  }
})

t.test('the SQLite file of a namespace sits beside the given one, .N before the extension', async (t) => {
  t.equal(namespacedSqliteFile('/dir/infra-sync.db', 'team-a'), '/dir/infra-sync.team-a.db')
  t.equal(namespacedSqliteFile('/dir/a.b.sqlite3', 'n'), '/dir/a.b.n.sqlite3')
  t.equal(namespacedSqliteFile('/dir/infra-sync', 'n'), '/dir/infra-sync.n', 'no extension: appended')
  t.equal(namespacedSqliteFile('/d.x/store', 'n'), '/d.x/store.n', "a folder's dot is no extension")
  t.equal(namespacedSqliteFile('/dir/.db', 'n'), '/dir/.db.n', 'a leading dot is no extension')
  t.equal(namespacedSqliteFile('rel.db', 'n'), 'rel.n.db')
  t.equal(namespacedSqliteFile(':memory:', 'n'), ':memory:', 'every connection to :memory: is a database of its own')
  t.throws(() => namespacedSqliteFile('/dir/x.db', '../x'), { code: 'CONFIG_INVALID' })
})

t.test('the PostgreSQL schema and channel of a namespace', async (t) => {
  t.equal(postgresSchema('team-a'), 'infra_sync_team_a')
  t.equal(postgresSchema('7'), 'infra_sync_7')
  t.throws(() => postgresSchema('Team'), { code: 'CONFIG_INVALID' })
  t.equal(quoteIdent('infra_sync_team_a'), '"infra_sync_team_a"')
  t.equal(quoteIdent('a"b'), '"a""b"')
  t.equal(eventsChannel(), 'infra_sync_events', 'no namespace: the channel of today')
  t.equal(eventsChannel('team-a'), 'infra_sync_events_team_a')
  t.ok(eventsChannel('a'.repeat(40)).length <= 63, 'within the length of an identifier')
})

t.test("search_path joins the URL's own options, which would otherwise override it", async (t) => {
  t.same(connectionOptions('postgres://h/db', undefined), { connectionString: 'postgres://h/db' }, 'no namespace: the URL as it is')
  t.same(connectionOptions('postgres://h/db', '"s"'), { connectionString: 'postgres://h/db', options: '-c search_path="s"' })
  const joined = connectionOptions('postgres://h/db?options=-c%20statement_timeout%3D5000&sslmode=disable', '"s"')
  t.equal(joined.options, '-c statement_timeout=5000 -c search_path="s"')
  t.equal(new URL(joined.connectionString).searchParams.get('options'), null)
  t.equal(new URL(joined.connectionString).searchParams.get('sslmode'), 'disable', 'the other parameters stay')
})

t.test('an event id is a ULID as event-id.ts makes them', async (t) => {
  const make = eventIdFactory()
  t.ok(isEventId(make(Date.now())))
  t.ok(isEventId('01ARZ3NDEKTSV4RRFFQ69G5FAV'))
  for (const bad of ['', '01arz3ndektsv4rrffq69g5fav', '01ARZ3NDEKTSV4RRFFQ69G5FA', '01ARZ3NDEKTSV4RRFFQ69G5FAVX', '81ARZ3NDEKTSV4RRFFQ69G5FAV', '01ARZ3NDEKTSV4RRFFQ69G5FAU']) {
    t.notOk(isEventId(bad), bad)
  }
})
