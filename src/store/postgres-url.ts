import { ConfigError } from '../core/errors.js'

// No pg here: the configuration checks URLs before any store is loaded.

/** A postgres:// URL as it may be shown: no user info, no query (it may carry a password). */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return 'postgres://(unparsable)'
  }
}

/**
 * Checks a postgres:// or postgresql:// URL before anything connects: a bad
 * one is a configuration error, never retried. The message never repeats
 * the URL (it may hold a password).
 */
export function checkPostgresUrl(url: string, setting = 'INFRA_SYNC_DATABASE_URL'): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new ConfigError(`${setting} is not a valid postgres:// URL`, { setting })
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new ConfigError(`${setting} must start with postgres:// or postgresql://`, { setting })
  if (u.hostname === '' && !u.searchParams.has('host')) throw new ConfigError(`${setting} names no host`, { setting })
  if (u.pathname.length <= 1) throw new ConfigError(`${setting} names no database (postgres://HOST/DATABASE)`, { setting })
  if (u.port !== '' && !/^\d+$/.test(u.port)) throw new ConfigError(`${setting} has a bad port`, { setting })
  return u
}
