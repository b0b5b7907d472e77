import { insertDeploymentSql, recordHealthSql } from './deployment-rows.js'

/**
 * Every statement of the PostgreSQL store, in one place: the schema they
 * read is src/store/postgres-migrations.ts. Times are bound as ISO strings
 * and compared as timestamptz; jsonb is bound as JSON text.
 */
/** The channel an event that became due is announced on (LISTEN/NOTIFY). */
export const EVENTS_CHANNEL = 'infra_sync_events'

/**
 * A namespace's channel: its own, so the worker of one infra repo is not woken
 * by every event the intake stores for the others (a channel is the
 * database's, not a schema's). Lower case, digits and _: the same name in
 * LISTEN (an identifier) and in pg_notify (text).
 */
export const eventsChannel = (schemaSuffix?: string): string => (schemaSuffix === undefined ? EVENTS_CHANNEL : `${EVENTS_CHANNEL}_${schemaSuffix.replace(/-/g, '_')}`)

/** The statements that announce on `channel` (a constant of this program or eventsChannel's, never input: spliced in). */
export function notifying(channel: string): { readonly insertEvent: string; readonly retry: string } {
  return {
    /**
     * A new event, and a notification to the leader's worker (postgres-listener.ts)
     * in the same transaction, so it is heard only once the row is there. A
     * duplicate inserts no row and notifies nobody.
     */
    insertEvent: `WITH ins AS (
      INSERT INTO events (id, source, delivery_id, image, event, meaning, received_at, status, updated_at)
      VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, 'queued', $7) ON CONFLICT DO NOTHING RETURNING id)
    SELECT id, pg_notify('${channel}', '') FROM ins`,
    /** Due again: notifies as insertEvent does, only when the event changed. */
    retry: `WITH up AS (
      UPDATE events SET status = 'queued', attempts = 0, next_attempt_at = NULL, code = NULL, reason = NULL,
        claimed_by = NULL, claimed_until = NULL, updated_at = $1,
        push_pending = CASE WHEN status = 'dead' THEN false ELSE push_pending END,
        push_outcome = CASE WHEN status = 'dead' THEN NULL ELSE push_outcome END
      WHERE id = $2 AND status IN ('dead', 'failed', 'waiting') RETURNING id)
    SELECT id, pg_notify('${channel}', '') FROM up`,
  }
}

export const SQL = {
  insertEvent: notifying(EVENTS_CHANNEL).insertEvent,
  eventByDelivery: 'SELECT id, status FROM events WHERE source = $1 AND delivery_id = $2',
  eventByMeaning: 'SELECT id, status FROM events WHERE meaning = $1',
  event: 'SELECT * FROM events WHERE id = $1',
  eventForUpdate: 'SELECT * FROM events WHERE id = $1 FOR UPDATE',

  /**
   * Due events not claimed by another live claimer, oldest first. The rows
   * are locked while marked, and rows another claimer has locked are
   * skipped: two claimers never take the same event.
   */
  claim: `UPDATE events SET claimed_by = $3, claimed_until = $4
    WHERE id IN (
      SELECT id FROM events
      WHERE (status = 'queued' OR (status IN ('failed', 'waiting') AND next_attempt_at <= $1))
        AND (claimed_until IS NULL OR claimed_until <= $1 OR claimed_by = $3)
      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING *`,
  releaseClaims: 'UPDATE events SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL',
  markPushing: `UPDATE events SET push_base = $1, push_pending = true, push_outcome = $2::jsonb WHERE id = $3`,
  finishFinal: `UPDATE events SET status = $1, code = $2, reason = $3, commit_sha = $4, targets = $5::jsonb, pull_request = $6::jsonb,
      next_attempt_at = NULL, push_pending = false, push_outcome = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = $7
    WHERE id = $8`,
  finishRetry: `UPDATE events SET status = $1, code = $2, reason = $3, targets = COALESCE($4::jsonb, targets),
      pull_request = CASE WHEN $5 THEN $6::jsonb ELSE pull_request END,
      attempts = attempts + $7, next_attempt_at = $8, claimed_by = NULL, claimed_until = NULL, updated_at = $9
    WHERE id = $10`,
  /** Held by a deploy window: its targets as planned, due again at the opening; attempts untouched. */
  finishWait: `UPDATE events SET status = 'waiting', code = $1, reason = $2, commit_sha = COALESCE($3, commit_sha), targets = $4::jsonb, pull_request = $5::jsonb,
      next_attempt_at = $6, push_pending = false, push_outcome = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = $7
    WHERE id = $8`,
  insertDeployment: insertDeploymentSql((i) => `$${i}`),
  recordHealth: recordHealthSql((i) => `$${i}`),
  /** The newest deployment of each (service, environment, image) asked for. */
  lastApplied: `SELECT DISTINCT ON (d.service, d.environment, d.image) d.service, d.environment, d.image, d.event_id, d.tag, d.digest, d.built_at
    FROM unnest($1::text[], $2::text[], $3::text[]) AS k(service, environment, image)
    JOIN deployments d ON d.service = k.service AND d.environment = k.environment AND d.image = k.image
    ORDER BY d.service, d.environment, d.image, d.seq DESC`,
  list: 'SELECT * FROM events WHERE status = $1 ORDER BY id DESC LIMIT $2',
  retry: notifying(EVENTS_CHANNEL).retry,
  prune: `DELETE FROM events WHERE status IN ('applied', 'skipped', 'rejected', 'superseded', 'declined') AND received_at < $1`,
  counts: 'SELECT status, count(*)::int AS n FROM events GROUP BY status',
  putEventTargets: `UPDATE events SET targets = $1::jsonb, status = $2, pull_request = $3::jsonb, commit_sha = COALESCE(commit_sha, $4), updated_at = $5
    WHERE id = $6`,

  proposalsFor: `SELECT p.* FROM unnest($1::text[], $2::text[], $3::text[]) AS k(service, environment, image)
    JOIN proposals p ON p.service = k.service AND p.environment = k.environment AND p.image = k.image
    WHERE p.pr_state IN ('open', 'closed') ORDER BY p.seq`,
  openProposals: `SELECT * FROM proposals WHERE pr_state = 'open' ORDER BY opened_at, seq`,
  proposalByNumber: 'SELECT * FROM proposals WHERE service = $1 AND environment = $2 AND pr_number = $3',
  proposalByNumberForUpdate: 'SELECT * FROM proposals WHERE service = $1 AND environment = $2 AND pr_number = $3 FOR UPDATE',
  openProposalsForUpdate: `SELECT * FROM proposals WHERE service = $1 AND environment = $2 AND pr_state = 'open' ORDER BY seq FOR UPDATE`,
  upsertProposal: `INSERT INTO proposals AS p (service, environment, image, branch, pr_number, pr_url, pr_state, head_sha, content_key, value, changes, event_ids,
      opened_at, updated_at, merge_commit, merged_by, merged_at, closed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17, $18)
    ON CONFLICT (service, environment, pr_number) DO UPDATE SET
      image = excluded.image, branch = excluded.branch, pr_url = excluded.pr_url,
      pr_state = CASE WHEN p.pr_state = 'open' THEN excluded.pr_state ELSE p.pr_state END,
      head_sha = excluded.head_sha, content_key = excluded.content_key, value = excluded.value, changes = excluded.changes,
      event_ids = excluded.event_ids, updated_at = excluded.updated_at,
      merge_commit = COALESCE(p.merge_commit, excluded.merge_commit), merged_by = COALESCE(p.merged_by, excluded.merged_by),
      merged_at = COALESCE(p.merged_at, excluded.merged_at), closed_at = COALESCE(p.closed_at, excluded.closed_at)`,
  proposalMerged: `UPDATE proposals SET pr_state = 'merged', merge_commit = $1, merged_by = $2, merged_at = $3, updated_at = $4 WHERE seq = $5`,
  /**
   * Takes a token from `key`'s bucket (burst $2, refilled at $3 per second
   * by the database's clock), in one statement under the row's lock, so
   * replicas share one bucket. A bucket is (tokens, at): what it held at
   * `at`. Both outcomes store the refilled count less one; a refused take
   * moves `at` back by one token's time, which is the same bucket (it
   * refills to the same count at any later time), so `at = now()` tells the
   * caller the token was taken and -tokens / $3 is the wait when it was not.
   * (At least a microsecond, the column's precision, so a refusal at a
   * million tokens a second still reads as one.)
   */
  takeToken: `INSERT INTO rate_buckets AS b (key, tokens, at)
    VALUES ($1, $2::float8 - 1, CASE WHEN $2::float8 >= 1 THEN now() ELSE now() - greatest(interval '1 second' / $3::float8, interval '1 microsecond') END)
    ON CONFLICT (key) DO UPDATE SET
      tokens = least($2::float8, b.tokens + extract(epoch FROM now() - b.at)::float8 * $3::float8) - 1,
      at = CASE WHEN least($2::float8, b.tokens + extract(epoch FROM now() - b.at)::float8 * $3::float8) >= 1 THEN now()
        ELSE now() - greatest(interval '1 second' / $3::float8, interval '1 microsecond') END
    RETURNING tokens, at = now() AS taken`,
  proposalClosed: `UPDATE proposals SET pr_state = 'closed', closed_at = $1, updated_at = $2 WHERE seq = $3`,
} as const
