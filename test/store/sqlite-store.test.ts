import path from 'node:path'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import { tmpDir } from '../helpers/tmp.js'

/** The SQLite store on a real file: dedupe, dead letters, retention. */
const ev = (tag: string, over: Partial<BuildEvent> = {}): BuildEvent => ({ source: 'acme/a', image: 'ghcr.io/acme/a', tag, ref: 'refs/heads/main', ...over })
const DAY = 86_400_000

async function open(t: Parameters<Parameters<typeof t.test>[1]>[0]) {
  const store = new SqliteStore(path.join(tmpDir(t), 'x.db'))
  await store.init()
  t.teardown(() => store.close())
  return store
}

t.test('dedupe by delivery id and by meaning; the ref is part of the meaning', async (t) => {
  const store = await open(t)
  const now = new Date()
  const a = await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('1.0.0'), receivedAt: now })
  t.equal(a.duplicate, false)
  t.same(await store.accept({ source: 'acme/a', deliveryId: 'd1', event: ev('9.9.9'), receivedAt: now }), { id: a.id, duplicate: 'delivery', status: 'queued' })
  t.same(await store.accept({ source: 'acme/a', deliveryId: 'd2', event: ev('1.0.0'), receivedAt: now }), { id: a.id, duplicate: 'meaning', status: 'queued' })
  t.equal((await store.accept({ source: 'acme/a', deliveryId: 'd3', event: ev('1.0.0', { ref: 'refs/heads/x' }), receivedAt: now })).duplicate, false)
  t.equal((await store.accept({ source: 'acme/a', deliveryId: 'd4', event: ev('1.0.0', { digest: `sha256:${'c'.repeat(64)}` }), receivedAt: now })).duplicate, false, 'a digest makes it another build')
})

t.test('retention forgets old finished events only; history and unfinished events stay', async (t) => {
  const store = await open(t)
  const old = new Date(Date.now() - 40 * DAY)
  const accept = async (tag: string, at: Date) => (await store.accept({ source: 'acme/a', deliveryId: `d-${tag}`, event: ev(tag), receivedAt: at })).id
  const applied = await accept('1.0.0', old)
  const dead = await accept('1.0.1', old)
  const failed = await accept('1.0.2', old)
  const queued = await accept('1.0.3', old)
  const recent = await accept('1.0.4', new Date())
  const final = (id: string) => ({ kind: 'final' as const, outcome: { id, status: 'applied' as const, targets: [] }, commit: 'f'.repeat(40) })
  await store.finish(
    [final(applied), final(recent), { kind: 'dead', id: dead, code: 'YAML_INVALID', reason: 'x' }, { kind: 'retry', id: failed, code: 'GIT_REMOTE', reason: 'x', retryAt: new Date(), countAttempt: false }],
    [{ eventId: applied, service: 's', environment: 'dev', image: 'ghcr.io/acme/a', to: '1.0.0', tag: '1.0.0', builtAt: old.toISOString(), commit: 'f'.repeat(40), appliedAt: old.toISOString() }],
    new Date(),
  )
  t.equal(await store.prune(new Date(Date.now() - 30 * DAY)), 1)
  t.equal(await store.get(applied), null)
  for (const id of [dead, failed, queued, recent]) t.ok(await store.get(id), `${id} kept`)
  t.same([...(await store.lastApplied([{ service: 's', environment: 'dev', image: 'ghcr.io/acme/a' }])).values()].map((r) => r.tag), ['1.0.0'], 'the deployment history is kept')
  t.same((await store.list('dead', 10)).map((r) => r.id), [dead])
  const retried = await store.retry(dead, new Date())
  t.equal(retried!.status, 'queued')
  t.equal(retried!.attempts, 0)
  t.equal((await store.retry(recent, new Date()))!.status, 'applied', 'only dead or failed events go back to the queue')
  t.equal(await store.retry('01ARZ3NDEKTSV4RRFFQ69G5FAV', new Date()), null)
})

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
  db.close()

  for (const round of [1, 2]) {
    const store = new SqliteStore(file)
    await store.init()
    const r = await store.get('01ARZ3NDEKTSV4RRFFQ69G5FAV')
    t.match(r, { status: 'applied', commit: 'f'.repeat(40), targets: [{ decision: 'update', code: 'updated' }] }, `round ${round}: the event reads back`)
    t.equal(r!.pullRequest, undefined)
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
