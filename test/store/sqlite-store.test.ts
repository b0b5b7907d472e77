import path from 'node:path'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import { MIGRATIONS, type Migrator } from '../../src/store/sqlite-rows.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { tmpDir } from '../helpers/tmp.js'

/** What is the SQLite store's own (its file and its migrations); the Store contract is test/store/store-contract.ts. */
const ev = (tag: string, over: Partial<BuildEvent> = {}): BuildEvent => ({ source: 'acme/a', image: 'ghcr.io/acme/a', tag, ref: 'refs/heads/main', ...over })

t.test('a store from an earlier version gains the meaning column', async (t) => {
  const file = path.join(tmpDir(t), 'old.db')
  const Database = (await import('better-sqlite3')).default
  const db = new Database(file)
  db.exec(`CREATE TABLE events (id TEXT PRIMARY KEY, source TEXT NOT NULL, delivery_id TEXT NOT NULL, image TEXT NOT NULL, event TEXT NOT NULL,
    received_at TEXT NOT NULL, status TEXT NOT NULL, code TEXT, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT,
    push_base TEXT, push_pending INTEGER NOT NULL DEFAULT 0, push_outcome TEXT, commit_sha TEXT, pull_request TEXT,
    targets TEXT NOT NULL DEFAULT '[]', updated_at TEXT NOT NULL, UNIQUE (source, delivery_id))`)
  db.close()
  const store = new SqliteStore(file)
  await store.init()
  t.teardown(() => store.close())
  t.equal((await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: new Date() })).duplicate, false)
})

/** The tables as the version before pull requests made them (src/store/sqlite-rows.ts at 200046c), and its meaning column. */
const PREVIOUS_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, delivery_id TEXT NOT NULL, image TEXT NOT NULL, event TEXT NOT NULL, received_at TEXT NOT NULL,
  status TEXT NOT NULL, code TEXT, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT, push_base TEXT,
  push_pending INTEGER NOT NULL DEFAULT 0, push_outcome TEXT, commit_sha TEXT, pull_request TEXT, targets TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL, UNIQUE (source, delivery_id)
);
CREATE INDEX IF NOT EXISTS events_status ON events (status, id);
CREATE INDEX IF NOT EXISTS events_due ON events (status, next_attempt_at) WHERE status IN ('queued', 'failed');
CREATE TABLE IF NOT EXISTS deployments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, service TEXT NOT NULL, environment TEXT NOT NULL, image TEXT NOT NULL,
  from_value TEXT, to_value TEXT NOT NULL, tag TEXT, digest TEXT, built_at TEXT NOT NULL, commit_sha TEXT NOT NULL, applied_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deployments_target ON deployments (service, environment, image, seq);
ALTER TABLE events ADD COLUMN meaning TEXT;
CREATE INDEX IF NOT EXISTS events_meaning ON events (meaning);
`

t.test('a store made by the version before pull requests migrates at init and keeps its events', async (t) => {
  const file = path.join(tmpDir(t), 'previous.db')
  const Database = (await import('better-sqlite3')).default
  const db = new Database(file)
  db.exec(PREVIOUS_SCHEMA)
  const target = { service: 's', environment: 'dev', file: 'f.yaml', image: 'ghcr.io/acme/a', from: '0.9.0', to: '1.0.0', decision: 'update', code: 'updated', reason: 'x' }
  db.prepare(
    `INSERT INTO events (id, source, delivery_id, image, event, received_at, status, commit_sha, targets, updated_at, meaning)
     VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'acme/a', 'd1', 'ghcr.io/acme/a', ?, '2026-11-25T10:00:00.000Z', 'applied', ?, ?, '2026-11-25T10:00:00.000Z', 'm')`,
  ).run(JSON.stringify(ev('1.0.0')), 'f'.repeat(40), JSON.stringify([target]))
  db.prepare(
    `INSERT INTO deployments (event_id, service, environment, image, from_value, to_value, tag, built_at, commit_sha, applied_at)
     VALUES ('01ARZ3NDEKTSV4RRFFQ69G5FAV', 's', 'dev', 'ghcr.io/acme/a', '0.9.0', '1.0.0', '1.0.0', '2026-11-25T09:00:00.000Z', ?, '2026-11-25T10:00:00.000Z')`,
  ).run('f'.repeat(40))
  db.close()

  for (const round of [1, 2]) {
    const store = new SqliteStore(file)
    await store.init()
    const r = await store.get('01ARZ3NDEKTSV4RRFFQ69G5FAV')
    t.match(r, { status: 'applied', commit: 'f'.repeat(40), targets: [{ decision: 'update', code: 'updated' }] }, `round ${round}: the event reads back`)
    t.equal(r!.pullRequest, undefined)
    const history = await store.deployments({ service: 's', limit: 10 })
    t.match(history, [{ eventId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', to: '1.0.0', kind: 'deploy' }], `round ${round}: an old deployment reads in history as a deploy`)
    t.notOk('source' in history[0]! || 'pullRequest' in history[0]!, 'with no origin it never had')
    t.equal((await store.openProposals()).length, round - 1, `round ${round}: the proposals table exists and keeps its rows`)
    if (round === 1) {
      await store.recordProposal(
        {
          service: 's', environment: 'dev', image: 'ghcr.io/acme/a', branch: 'infra-sync/s/dev', pullRequest: { number: 1, url: 'https://x/pull/1', state: 'open' },
          headSha: 'a'.repeat(40), contentKey: 'k', value: { tag: '1.0.0', builtAt: '2026-11-25T10:00:00.000Z', eventId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
          changes: [], eventIds: [], openedAt: '2026-11-25T10:00:00.000Z', updatedAt: '2026-11-25T10:00:00.000Z',
        },
        new Date(),
      )
    }
    await store.close()
  }
  const after = new Database(file, { readonly: true })
  t.teardown(() => after.close())
  t.ok((after.pragma('user_version', { simple: true }) as number) >= 2, 'the schema version is recorded')
  t.equal((after.prepare('SELECT COUNT(*) AS n FROM proposals').get() as { n: number }).n, 1, 'a second init keeps what the first made')
})

/**
 * Rows as the schema of a version holds them, each part from the version
 * that made its table or columns: a store at version N is written every part
 * up to N. A step that changes what rows look like adds a part here.
 */
const ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV'
const F = 'f'.repeat(40)
const ROWS_SINCE: readonly { readonly since: number; readonly sql: string }[] = [
  {
    since: 1,
    sql: `INSERT INTO events (id, source, delivery_id, image, event, received_at, status, commit_sha, targets, updated_at, meaning)
      VALUES ('${ID}', 'acme/a', 'd1', 'ghcr.io/acme/a', '${JSON.stringify(ev('1.0.0'))}', '2026-11-25T10:00:00.000Z', 'applied', '${F}', '[]', '2026-11-25T10:00:00.000Z', 'm');
    INSERT INTO deployments (event_id, service, environment, image, from_value, to_value, tag, built_at, commit_sha, applied_at)
      VALUES ('${ID}', 's', 'dev', 'ghcr.io/acme/a', '0.9.0', '1.0.0', '1.0.0', '2026-11-25T09:00:00.000Z', '${F}', '2026-11-25T10:00:00.000Z');`,
  },
  {
    since: 2,
    sql: `INSERT INTO proposals (service, environment, image, branch, pr_number, pr_url, pr_state, head_sha, content_key, value, changes, event_ids, opened_at, updated_at)
      VALUES ('s', 'prod', 'ghcr.io/acme/a', 'infra-sync/s/prod', 1, 'https://x/pull/1', 'open', '${'a'.repeat(40)}', 'k',
        '{"tag":"1.0.0","builtAt":"2026-11-25T09:00:00.000Z","eventId":"${ID}"}', '[]', '["${ID}"]', '2026-11-25T10:00:00.000Z', '2026-11-25T10:00:00.000Z');`,
  },
  {
    since: 4,
    sql: `INSERT INTO deployments (event_id, service, environment, image, to_value, tag, built_at, commit_sha, applied_at, source, kind)
      VALUES ('${ID}', 'r', 'dev', 'ghcr.io/acme/r', '0.9.0', '0.9.0', '2026-11-25T09:00:00.000Z', '${F}', '2026-11-25T10:00:00.000Z', 'acme/r', 'rollback');`,
  },
  { since: 5, sql: `INSERT INTO pins (service, environment, value, kind, created_at) VALUES ('s', 'prod', '1.0.0', 'manual', '2026-11-25T10:00:00.000Z');` },
  {
    since: 6,
    sql: `INSERT INTO outbox (id, target, key, notice, next_attempt_at, created_at)
      VALUES ('msg_1', 'chat', 's', '{"kind":"x"}', '2026-11-25T10:00:00.000Z', '2026-11-25T10:00:00.000Z');`,
  },
  {
    since: 8,
    sql: `INSERT INTO deployments (event_id, service, environment, image, to_value, tag, built_at, commit_sha, applied_at, healthy_at, health_reason)
      VALUES ('${ID}', 't', 'dev', 'ghcr.io/acme/t', '2.0.0', '2.0.0', '2026-11-25T09:00:00.000Z', '${'e'.repeat(40)}', '2026-11-25T10:00:00.000Z', '2026-11-25T10:01:00.000Z', 'Healthy');
    INSERT INTO promotions (service, environment, value, from_environment, state, updated_at) VALUES ('t', 'prod', '2.0.0', 'dev', 'cleared', '2026-11-25T10:02:00.000Z');`,
  },
]

/** A file at user_version `version` (the steps up to it, as a store of that version left it), with its rows. */
async function fileAt(file: string, version: number): Promise<void> {
  const Database = (await import('better-sqlite3')).default
  const db = new Database(file)
  const migrator: Migrator = { exec: (sql) => db.exec(sql), columns: (table) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name) }
  for (let v = 0; v < version; v++) MIGRATIONS[v]!(migrator)
  db.pragma(`user_version = ${version}`)
  for (const part of ROWS_SINCE) if (part.since <= version) db.exec(part.sql)
  db.close()
}

t.test('a new file is made at the newest version, with an empty promotions table', async (t) => {
  const file = path.join(tmpDir(t), 'new.db')
  const store = new SqliteStore(file)
  await store.init()
  t.same(await store.promotions.list(), [])
  await store.close()
  const Database = (await import('better-sqlite3')).default
  const db = new Database(file, { readonly: true })
  t.teardown(() => db.close())
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length)
})

for (let from = 1; from < MIGRATIONS.length; from++) {
  t.test(`from user_version ${from} with rows: migrates to ${MIGRATIONS.length} at init and the store reads them`, async (t) => {
    const file = path.join(tmpDir(t), `v${from}.db`)
    await fileAt(file, from)
    const store = new SqliteStore(file)
    await store.init()
    t.teardown(() => store.close())
    t.match(await store.get(ID), { status: 'applied', commit: F })
    t.match((await store.lastApplied([{ service: 's', environment: 'dev', image: 'ghcr.io/acme/a' }])).get('s\u0000dev\u0000ghcr.io/acme/a'), { tag: '1.0.0', eventId: ID })
    const [old] = await store.deployments({ service: 's', limit: 10 })
    t.match(old, { eventId: ID, to: '1.0.0', kind: 'deploy' })
    t.notOk(old && ('source' in old || 'healthyAt' in old || 'failedAt' in old || 'healthReason' in old), 'with no origin and no verdict it never had')
    t.equal(await store.recordHealth(F, 's', 'dev', { failedAt: '2026-11-25T10:05:00.000Z', reason: 'Degraded' }), 1, 'an old row takes its first verdict')
    t.match(await store.deployments({ service: 's', limit: 10 }), [{ failedAt: '2026-11-25T10:05:00.000Z', healthReason: 'Degraded' }])
    t.equal((await store.openProposals()).length, from >= 2 ? 1 : 0, 'proposals kept')
    if (from >= 4) t.match(await store.deployments({ service: 'r', limit: 10 }), [{ kind: 'rollback', source: 'acme/r' }], 'an origin kept')
    t.same((await store.pins.list()).map((p) => p.value), from >= 5 ? ['1.0.0'] : [], 'pins kept')
    t.equal((await store.outbox.due(new Date('2100-01-01T00:00:00.000Z'), 10)).length, from >= 6 ? 1 : 0, 'the outbox kept')
    if (from >= 8) {
      t.match(await store.deployments({ service: 't', limit: 10 }), [{ healthyAt: '2026-11-25T10:01:00.000Z', healthReason: 'Healthy' }], 'a verdict kept')
      t.match(await store.promotions.list(), [{ service: 't', value: '2.0.0', state: 'cleared' }], 'and a promotion record')
    }
    const promotion = { service: 's', environment: 'prod', value: '1.0.0', from: 'dev', state: 'waiting' as const, updatedAt: '2026-11-25T10:06:00.000Z' }
    await store.promotions.set(promotion)
    t.same(await store.promotions.get('s', 'prod', '1.0.0'), promotion, 'promotion records are kept (user_version 8)')
  })
}
