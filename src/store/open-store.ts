import { ConfigError } from '../core/errors.js'
import { describePostgresUrl } from './postgres-url.js'
import { checkNamespace } from './store-namespace.js'
import type { Store } from './store.js'

export type StoreRole = 'intake' | 'worker'

/** The stores by URL scheme, one line each; loaded on use (pg alone takes a noticeable part of a cold start). */
const STORES: readonly { readonly scheme: RegExp; readonly open: (url: string, role: StoreRole, namespace?: string) => Promise<Store> }[] = [
  { scheme: /^sqlite:/, open: async (url, role, ns) => (await import('./sqlite-store.js')).SqliteStore.fromUrl(url, role, ns) },
  { scheme: /^postgres(ql)?:\/\//, open: async (url, role, ns) => (await import('./postgres-store.js')).PostgresStore.fromUrl(url, role, ns) },
]

/**
 * The store an INFRA_SYNC_DATABASE_URL names (not yet initialised). `intake`
 * is the HTTP side's handle, `worker` the worker's. A `namespace` (one of
 * several infra repos, `[a-z0-9-]{1,40}`) keeps that repo's events, history,
 * proposals and lease apart in the same database: its own SQLite file beside
 * the given one, its own PostgreSQL schema.
 */
export async function openStore(url: string, role: StoreRole = 'worker', namespace?: string): Promise<Store> {
  const entry = STORES.find((s) => s.scheme.test(url))
  if (!entry) throw new ConfigError('INFRA_SYNC_DATABASE_URL must be sqlite:PATH or postgres://HOST/DATABASE', { setting: 'INFRA_SYNC_DATABASE_URL' })
  if (namespace !== undefined) checkNamespace(namespace)
  return entry.open(url, role, namespace)
}

/** The store's URL as logs may show it: a PostgreSQL URL without its user, password or query. */
export const describeStoreUrl = (url: string): string => (/^postgres(ql)?:/.test(url) ? describePostgresUrl(url) : url)
