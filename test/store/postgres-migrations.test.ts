import pg from 'pg'
import t from 'tap'
import { MIGRATIONS, migrate, schemaVersion } from '../../src/store/postgres-migrations.js'
import { PostgresStore } from '../../src/store/postgres-store.js'
import { freshDatabase } from '../helpers/postgres.js'

/** The PostgreSQL schema's versions: from an empty database, from each earlier version, and with several migrators at once. */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
const LATEST = MIGRATIONS.length
const EVENT_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV'

async function pool(t: Test, url: string) {
  const p = new pg.Pool({ connectionString: url, max: 2 })
  // The database's drop at teardown (WITH FORCE) may end an idle connection before p.end does: unheard, that error failed the test now and then.
  p.on('error', () => undefined)
  t.teardown(() => p.end())
  return p
}

async function migrateTo(p: pg.Pool, target?: number) {
  const c = await p.connect()
  try {
    return await migrate(c, target)
  } finally {
    c.release()
  }
}

async function versionOf(p: pg.Pool) {
  const c = await p.connect()
  try {
    return await schemaVersion(c)
  } finally {
    c.release()
  }
}

/** Version 1's rows: an applied event, its deployment and an open proposal. */
const ROWS_V1 = `
INSERT INTO events (id, source, delivery_id, image, event, meaning, received_at, status, commit_sha, targets, updated_at)
VALUES ('${EVENT_ID}', 'acme/a', 'd1', 'ghcr.io/acme/a', '{"source":"acme/a","image":"ghcr.io/acme/a","tag":"1.0.0","ref":"refs/heads/main"}',
  'm1', '2026-11-25T10:00:00.000Z', 'applied', '${'f'.repeat(40)}',
  '[{"service":"s","environment":"dev","file":"f.yaml","image":"ghcr.io/acme/a","from":"0.9.0","to":"1.0.0","decision":"update","code":"updated","reason":"x"}]',
  '2026-11-25T10:00:00.000Z');
INSERT INTO deployments (event_id, service, environment, image, from_value, to_value, tag, built_at, commit_sha, applied_at)
VALUES ('${EVENT_ID}', 's', 'dev', 'ghcr.io/acme/a', '0.9.0', '1.0.0', '1.0.0', '2026-11-25T09:00:00.000Z', '${'f'.repeat(40)}', '2026-11-25T10:00:00.000Z');
INSERT INTO proposals (service, environment, image, branch, pr_number, pr_url, pr_state, head_sha, content_key, value, changes, event_ids, opened_at, updated_at)
VALUES ('s', 'prod', 'ghcr.io/acme/a', 'infra-sync/s/prod', 1, 'https://x/pull/1', 'open', '${'a'.repeat(40)}', 'k',
  '{"tag":"1.0.0","builtAt":"2026-11-25T09:00:00.000Z","eventId":"${EVENT_ID}"}', '[]', '["${EVENT_ID}"]', '2026-11-25T10:00:00.000Z', '2026-11-25T10:00:00.000Z');`
/**
 * Rows as the schema of a version holds them, written with that version's
 * SQL. A migration that changes what rows look like adds an entry here;
 * every step is then tested with the newest entry its starting version can hold.
 */
const ROWS_AT: Record<number, string> = {
  1: ROWS_V1,
  // A verdict on another service's deployment, and a promotion record.
  9: `${ROWS_V1}
INSERT INTO deployments (event_id, service, environment, image, to_value, tag, built_at, commit_sha, applied_at, healthy_at, health_reason)
VALUES ('${EVENT_ID}', 't', 'dev', 'ghcr.io/acme/t', '2.0.0', '2.0.0', '2026-11-25T09:00:00.000Z', '${'e'.repeat(40)}', '2026-11-25T10:00:00.000Z', '2026-11-25T10:01:00.000Z', 'Healthy');
INSERT INTO promotions (service, environment, value, from_environment, state, updated_at) VALUES ('t', 'prod', '2.0.0', 'dev', 'cleared', '2026-11-25T10:02:00.000Z');`,
}

const rowsFor = (version: number) => ROWS_AT[Math.max(...Object.keys(ROWS_AT).map(Number).filter((v) => v <= version))]!

t.test('the steps are numbered 1..N in order', async (t) => {
  t.same(MIGRATIONS.map((m) => m.version), Array.from({ length: LATEST }, (_, i) => i + 1))
  t.ok(LATEST >= 2, 'so the step from the previous version is tested today')
})

t.test('from an empty database: every step once, and a second start applies nothing', async (t) => {
  const url = await freshDatabase(t)
  const p = await pool(t, url)
  t.equal(await versionOf(p), 0)
  t.same(await migrateTo(p), MIGRATIONS.map((m) => m.version))
  t.equal(await versionOf(p), LATEST)
  t.same(await migrateTo(p), [])
  const store = new PostgresStore(url)
  t.teardown(() => store.close())
  await store.init()
  t.same(await store.counts(), {})
  t.same(await store.openProposals(), [])
  t.equal(await store.rateLimiter({ perSecond: 1, burst: 1 }).take('acme/a'), 0, 'the shared rate buckets (step 4) are there')
  t.same(await store.promotions.list(), [], 'the promotions table (step 9) is there')
})

for (let from = 1; from < LATEST; from++) {
  t.test(`from version ${from} with rows: migrates to ${LATEST} at init and the store reads them`, async (t) => {
    const url = await freshDatabase(t)
    const p = await pool(t, url)
    t.same(await migrateTo(p, from), MIGRATIONS.slice(0, from).map((m) => m.version))
    await p.query(rowsFor(from))

    const store = new PostgresStore(url)
    t.teardown(() => store.close())
    await store.init()
    t.equal(await versionOf(p), LATEST)
    t.match(await store.get(EVENT_ID), { status: 'applied', commit: 'f'.repeat(40), receivedAt: '2026-11-25T10:00:00.000Z', targets: [{ decision: 'update', code: 'updated' }] })
    t.match((await store.lastApplied([{ service: 's', environment: 'dev', image: 'ghcr.io/acme/a' }])).get('s\u0000dev\u0000ghcr.io/acme/a'), { tag: '1.0.0', eventId: EVENT_ID })
    t.match(await store.openProposals(), [{ service: 's', pullRequest: { number: 1, state: 'open' }, eventIds: [EVENT_ID] }])
    const [old] = await store.deployments({ service: 's', limit: 10 })
    t.match(old, { eventId: EVENT_ID, to: '1.0.0', appliedAt: '2026-11-25T10:00:00.000Z', kind: 'deploy' }, 'an old deployment reads in history as a deploy (step 5)')
    t.notOk(old && ('source' in old || 'pullRequest' in old || 'mergedBy' in old), 'with no origin it never had')
    t.same(await store.claim(10, new Date()), [], 'a finished event is not claimed')
    t.equal((await store.accept({ source: 'acme/a', deliveryId: 'd1', event: { source: 'acme/a', image: 'ghcr.io/acme/a', tag: '1.0.0' }, receivedAt: new Date() })).duplicate, 'delivery', 'the old row still dedupes')
    const limiter = store.rateLimiter({ perSecond: 1e-6, burst: 1 })
    t.equal(await limiter.take('acme/a'), 0, 'rate buckets work after the upgrade (step 4)')
    t.ok((await limiter.take('acme/a')) > 0)

    t.notOk(old && ('healthyAt' in old || 'failedAt' in old || 'healthReason' in old), 'an old deployment has no verdict (step 9)')
    t.equal(await store.recordHealth('f'.repeat(40), 's', 'dev', { healthyAt: '2026-11-25T10:05:00.000Z', reason: 'Healthy' }), 1, 'and takes its first one')
    t.match(await store.deployments({ service: 's', limit: 10 }), [{ eventId: EVENT_ID, healthyAt: '2026-11-25T10:05:00.000Z', healthReason: 'Healthy' }])
    if (from >= 9) {
      t.match(await store.deployments({ service: 't', limit: 10 }), [{ healthyAt: '2026-11-25T10:01:00.000Z', healthReason: 'Healthy' }], 'a verdict survives')
      t.match(await store.promotions.list(), [{ service: 't', value: '2.0.0', state: 'cleared' }], 'and a promotion record')
    }
    const promotion = { service: 's', environment: 'prod', value: '1.0.0', from: 'dev', state: 'waiting' as const, updatedAt: '2026-11-25T10:06:00.000Z' }
    await store.promotions.set(promotion)
    t.same(await store.promotions.get('s', 'prod', '1.0.0'), promotion, 'promotion records are kept (step 9)')
  })
}

t.test('several processes starting at once migrate once', async (t) => {
  const url = await freshDatabase(t)
  const pools = await Promise.all(Array.from({ length: 4 }, () => pool(t, url)))
  const applied = await Promise.all(pools.map((p) => migrateTo(p)))
  t.same(applied.flat().sort((a, b) => a - b), MIGRATIONS.map((m) => m.version), 'each step applied by exactly one of them')
  const { rows } = await pools[0]!.query<{ version: number; n: number }>('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version')
  t.same(rows, MIGRATIONS.map((m) => ({ version: m.version, n: 1 })))

  const stores = Array.from({ length: 3 }, () => new PostgresStore(url))
  for (const s of stores) t.teardown(() => s.close())
  await Promise.all(stores.map((s) => s.init()))
  t.equal(await versionOf(pools[0]!), LATEST)
})
