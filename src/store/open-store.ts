import { ConfigError } from '../core/errors.js'
import { PostgresStore } from './postgres-store.js'
import { SqliteStore } from './sqlite-store.js'
import type { Store } from './store.js'

export type StoreRole = 'intake' | 'worker'

/** The stores by URL scheme: one line each. */
const STORES: readonly { readonly scheme: RegExp; readonly open: (url: string, role: StoreRole) => Store }[] = [
  { scheme: /^sqlite:/, open: (url, role) => SqliteStore.fromUrl(url, role) },
  { scheme: /^postgres(ql)?:\/\//, open: (url, role) => PostgresStore.fromUrl(url, role) },
]

/** The store an INFRA_SYNC_DATABASE_URL names (not yet initialised). `intake` is the HTTP side's handle, `worker` the worker's. */
export function openStore(url: string, role: StoreRole = 'worker'): Store {
  const entry = STORES.find((s) => s.scheme.test(url))
  if (!entry) throw new ConfigError('INFRA_SYNC_DATABASE_URL must be sqlite:PATH or postgres://HOST/DATABASE', { setting: 'INFRA_SYNC_DATABASE_URL' })
  return entry.open(url, role)
}
