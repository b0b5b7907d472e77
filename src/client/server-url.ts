import { UsageError } from './client-errors.js'

/** The server's base URL as a command was given it: http(s), no credentials, ending in / so paths resolve under it. */
export function serverUrl(given: string): URL {
  let u: URL
  try {
    u = new URL(given)
  } catch {
    throw new UsageError(`--server must be the server's base URL, e.g. https://infra-sync.example (got ${JSON.stringify(given)})`, { option: 'server' })
  }
  if (!/^https?:$/.test(u.protocol) || u.username || u.password) throw new UsageError('--server must be an http(s) URL without credentials', { option: 'server' })
  return new URL(u.pathname.endsWith('/') ? u.toString() : `${u.toString()}/`)
}
