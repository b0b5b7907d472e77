import path from 'node:path'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
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
