import type { PoolClient, QueryConfig } from 'pg'
import { ConfigError } from '../core/errors.js'
import { quoteIdent } from './store-namespace.js'

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

/**
 * The PostgreSQL schema as ordered steps; step N brings a database from
 * version N - 1 to N and is never edited once released (add a step instead).
 * Ids are text (ULIDs), times timestamptz, documents jsonb.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, deployments and proposals',
    sql: `
CREATE TABLE events (
  id text PRIMARY KEY,
  source text NOT NULL,
  delivery_id text NOT NULL,
  image text NOT NULL,
  event jsonb NOT NULL,
  meaning text,
  received_at timestamptz NOT NULL,
  status text NOT NULL,
  code text,
  reason text,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  claimed_by text,
  claimed_until timestamptz,
  push_base text,
  push_pending boolean NOT NULL DEFAULT false,
  push_outcome jsonb,
  commit_sha text,
  pull_request jsonb,
  targets jsonb NOT NULL DEFAULT '[]',
  updated_at timestamptz NOT NULL,
  CONSTRAINT events_delivery UNIQUE (source, delivery_id),
  CONSTRAINT events_meaning UNIQUE (meaning)
);
CREATE TABLE deployments (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id text NOT NULL,
  service text NOT NULL,
  environment text NOT NULL,
  image text NOT NULL,
  from_value text,
  to_value text NOT NULL,
  tag text,
  digest text,
  built_at timestamptz NOT NULL,
  commit_sha text NOT NULL,
  applied_at timestamptz NOT NULL
);
CREATE TABLE proposals (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  service text NOT NULL,
  environment text NOT NULL,
  image text NOT NULL,
  branch text NOT NULL,
  pr_number integer NOT NULL,
  pr_url text NOT NULL,
  pr_state text NOT NULL CHECK (pr_state IN ('open', 'closed', 'merged')),
  head_sha text NOT NULL,
  content_key text NOT NULL,
  value jsonb NOT NULL,
  changes jsonb NOT NULL,
  event_ids jsonb NOT NULL,
  opened_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  merge_commit text,
  merged_by text,
  merged_at timestamptz,
  closed_at timestamptz,
  CONSTRAINT proposals_pr UNIQUE (service, environment, pr_number)
);`,
  },
  {
    version: 2,
    name: 'indexes for claims, listings, history and proposals',
    sql: `
CREATE INDEX events_status ON events (status, id);
CREATE INDEX events_due ON events (id) WHERE status IN ('queued', 'failed');
CREATE INDEX deployments_target ON deployments (service, environment, image, seq);
CREATE INDEX proposals_target ON proposals (service, environment, image, pr_state);
CREATE INDEX proposals_open ON proposals (opened_at, seq) WHERE pr_state = 'open';`,
  },
  {
    version: 3,
    name: 'leases with fencing tokens, one per infra repo',
    sql: `
CREATE TABLE leases (
  repo text PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL CHECK (token > 0),
  expires_at timestamptz NOT NULL
);`,
  },
  {
    version: 4,
    name: 'rate-limit buckets shared by replicas',
    sql: `
CREATE TABLE rate_buckets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  at timestamptz NOT NULL
);`,
  },
  {
    version: 5,
    name: 'what each deployment came from: source, build, pull request, who merged, kind',
    // Rows written before read with these null, and as deploys.
    sql: `
ALTER TABLE deployments
  ADD COLUMN source text,
  ADD COLUMN source_commit text,
  ADD COLUMN build_url text,
  ADD COLUMN pr_number integer,
  ADD COLUMN pr_url text,
  ADD COLUMN merged_by text,
  ADD COLUMN kind text NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'rollback', 'promotion'));
CREATE INDEX deployments_service ON deployments (service, seq);`,
  },
  {
    version: 6,
    name: 'pins set through the API: rollbacks and manual pins, one per service and environment',
    sql: `
CREATE TABLE pins (
  service text NOT NULL,
  environment text NOT NULL,
  value text,
  kind text NOT NULL CHECK (kind IN ('rollback', 'manual')),
  reason text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (service, environment)
);`,
  },
  {
    version: 7,
    name: 'the notifications outbox: messages waiting for delivery, in order per target and service',
    sql: `
CREATE TABLE outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  target text NOT NULL,
  key text NOT NULL,
  notice jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  last_error text
);
CREATE INDEX outbox_queue ON outbox (target, key, seq);`,
  },
  {
    version: 8,
    name: 'events waiting for a deploy window are due at its opening',
    sql: `
DROP INDEX events_due;
CREATE INDEX events_due ON events (id) WHERE status IN ('queued', 'failed', 'waiting');`,
  },
  {
    version: 9,
    name: 'promotion records, and when each deployment became healthy or failed as Argo CD saw it',
    // Rows written before have no verdict.
    sql: `
CREATE TABLE promotions (
  service text NOT NULL,
  environment text NOT NULL,
  value text NOT NULL,
  from_environment text NOT NULL,
  from_commit text,
  state text NOT NULL CHECK (state IN ('waiting', 'cleared', 'stopped', 'superseded')),
  reason text,
  healthy_since timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (service, environment, value)
);
ALTER TABLE deployments
  ADD COLUMN healthy_at timestamptz,
  ADD COLUMN failed_at timestamptz,
  ADD COLUMN health_reason text;
CREATE INDEX deployments_commit ON deployments (commit_sha);`,
  },
]

/**
 * Any constant shared by every infra-sync process: replicas starting together
 * queue on it and migrate once. One lock for every schema (namespace), not one
 * each: a start migrates in milliseconds, and one lock also orders the
 * creation of a schema two starters both find missing.
 */
const MIGRATION_LOCK = 7_164_002_613
const MIGRATION_TIMEOUT_MS = 3_600_000

/**
 * Brings the database to `target` (default: the newest) in one transaction
 * under a transaction-level advisory lock, so a crash midway leaves the
 * previous version and concurrent starters apply each step once.
 * With `schema` (a namespace's), that schema is made if missing and the
 * steps and their version table are in it alone; without, the connection's
 * search_path decides, as it always has.
 * Returns the versions it applied.
 */
export async function migrate(client: PoolClient, target = MIGRATIONS.length, schema?: string): Promise<number[]> {
  // Waiting for another migrator, or a step over a big table, may take longer than the pool's query timeout allows.
  const long = (text: string, values: unknown[] = []) => client.query({ text, values, query_timeout: MIGRATION_TIMEOUT_MS } as QueryConfig)
  await client.query('BEGIN')
  try {
    await long('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    if (schema !== undefined) await enterSchema(client, schema)
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')
    const current = rows[0]?.v ?? 0
    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (m.version <= current || m.version > target) continue
      await long(m.sql)
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      applied.push(m.version)
    }
    await client.query('COMMIT')
    return applied
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw e
  }
}

/**
 * Makes `schema` if missing and has the transaction search it alone.
 * Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on
 * the database even when the schema is there, and a user may be given a
 * schema made for it instead. A refusal is a ConfigError naming the schema.
 */
async function enterSchema(client: PoolClient, schema: string): Promise<void> {
  const refused = (e: unknown, what: string) =>
    (e as { code?: unknown })?.code === '42501'
      ? new ConfigError(`the database user may not ${what} (schema ${schema}); see README "PostgreSQL" for the grants`, { setting: 'INFRA_SYNC_DATABASE_URL', schema })
      : e
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
  if (rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`).catch((e: unknown) => Promise.reject(refused(e, `create schema ${schema}`)))
  await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`)
  // A schema made by someone else must let this user create the tables: asked now, so the refusal names the schema.
  const { rows } = await client.query<{ ok: boolean }>(`SELECT has_schema_privilege($1, 'CREATE') AS ok`, [schema])
  if (!rows[0]?.ok) throw refused({ code: '42501' }, `create tables in schema ${schema}`)
}

/** The version a database is at (0: never migrated). */
export async function schemaVersion(client: PoolClient): Promise<number> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`)
  if (!exists.rows[0]?.t) return 0
  const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')
  return rows[0]?.v ?? 0
}
