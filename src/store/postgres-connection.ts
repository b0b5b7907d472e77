import pg from 'pg'
import { ConfigError, StoreUnavailableError } from '../core/errors.js'
import { checkPostgresUrl } from './postgres-url.js'

/** Codes of the server and the socket that mean "not now": the connection, the server or a lock, never the query. */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P|58|40001|40P01|3D000|28)/
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])

/** Maps an error of pg to StoreUnavailableError when it is about reaching the database; others pass unchanged. */
export function storeError(e: unknown, where: string): unknown {
  if (e instanceof StoreUnavailableError || e instanceof ConfigError) return e
  const code = String((e as { code?: unknown })?.code ?? '')
  const message = e instanceof Error ? e.message : ''
  const lost = /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/.test(message)
  if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code) || lost) {
    return new StoreUnavailableError(`the PostgreSQL store at ${where} cannot be reached now (${code || 'connection lost'})`, e)
  }
  return e
}

export interface PoolOptions {
  readonly max?: number
  readonly connectTimeoutMs?: number
  readonly queryTimeoutMs?: number
  /** The store's transactions are a few statements long: a client idle this long inside one is gone (default 10 s). */
  readonly idleInTransactionMs?: number
  readonly onIdleError?: (e: unknown) => void
  /**
   * A schema (already quoted) every connection of the pool searches alone: a
   * namespace's. Set at connect time, so no query of the pool runs before it.
   */
  readonly searchPath?: string
}

/**
 * The connection string and startup options of a pool: `search_path` joins
 * the URL's own `options`, which pg would otherwise let override it (the
 * URL's parameters win over the config's).
 */
export function connectionOptions(url: string, searchPath: string | undefined): { connectionString: string; options?: string } {
  if (searchPath === undefined) return { connectionString: url }
  const own = `-c search_path=${searchPath}`
  const u = new URL(url)
  const given = u.searchParams.get('options')
  if (given === null) return { connectionString: url, options: own }
  u.searchParams.delete('options')
  return { connectionString: u.toString(), options: `${given} ${own}` }
}

export function openPool(url: string, opts: PoolOptions = {}): pg.Pool {
  checkPostgresUrl(url)
  const pool = new pg.Pool({
    ...connectionOptions(url, opts.searchPath),
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    // A connection that goes silent (a cut network sends no reset) fails the query instead of holding a request or a batch forever.
    keepAlive: true,
    query_timeout: opts.queryTimeoutMs ?? 30_000,
    application_name: 'infra-sync',
    // The server ends a transaction whose client went silent, so its row locks (a fenced write's lease lock) do not hold a takeover up.
    idle_in_transaction_session_timeout: opts.idleInTransactionMs ?? 10_000,
  })
  // An idle connection the server drops emits here; unheard, it would end the process. The next query reconnects.
  pool.on('error', (e) => opts.onIdleError?.(e))
  return pool
}

/** Runs fn in one transaction on one connection of the pool; errors of reaching the database become StoreUnavailableError. */
export async function inTransaction<T>(pool: pg.Pool, where: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (e) {
    throw storeError(e, where)
  }
  let broken = false
  // A connection that ends mid-transaction (the server's idle timeout) also emits on the client; unheard, that would end the process. The query fails on its own.
  const onError = () => {
    broken = true
  }
  client.on('error', onError)
  try {
    await client.query('BEGIN')
    const out = await fn(client)
    await client.query('COMMIT')
    return out
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {
      broken = true
    })
    throw storeError(e, where)
  } finally {
    client.off('error', onError)
    client.release(broken)
  }
}

/** One statement outside an explicit transaction. */
export async function query<R extends pg.QueryResultRow>(pool: pg.Pool, where: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(sql, params)
  } catch (e) {
    throw storeError(e, where)
  }
}
