import { randomBytes } from 'node:crypto'
import pg from 'pg'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** The server the tests use (trust auth on this machine); INFRA_SYNC_TEST_POSTGRES_URL names another. */
export const POSTGRES_ADMIN_URL = process.env.INFRA_SYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** `url` with another database name. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** A new empty database (infra_sync_t_<random>), dropped when the test ends; returns its URL. */
export async function freshDatabase(t: Teardown): Promise<string> {
  const name = `infra_sync_t_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  // FORCE: a connection the test left open (a killed child's) must not keep the database alive.
  t.teardown(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
  return withDatabase(POSTGRES_ADMIN_URL, name)
}

/**
 * A new login role with no privileges beyond PUBLIC's (so no CREATE on any
 * database), dropped when the test ends with what it owns in `databaseUrl`'s
 * database; returns `databaseUrl` as that role (with a password trust auth ignores).
 */
export async function freshRole(t: Teardown, databaseUrl: string): Promise<{ name: string; url: string }> {
  const name = `infra_sync_r_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE ROLE ${name} LOGIN`))
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: withDatabase(POSTGRES_ADMIN_URL, new URL(databaseUrl).pathname.slice(1)) })
    // The database may be gone already (its own teardown): then the role owns nothing.
    const connected = await c.connect().then(
      () => true,
      () => false,
    )
    if (connected) await c.query(`DROP OWNED BY ${name}`).finally(() => c.end())
    await admin((a) => a.query(`DROP ROLE IF EXISTS ${name}`))
  })
  const u = new URL(databaseUrl)
  u.username = name
  u.password = 'not-checked-by-trust'
  return { name, url: u.toString() }
}
