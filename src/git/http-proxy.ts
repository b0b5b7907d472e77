import http from 'node:http'
import type { Duplex } from 'node:stream'
import { GitRemoteError } from '../core/errors.js'

/**
 * Proxies as curl (and so git) reads them from the environment: HTTPS_PROXY
 * for https URLs, HTTP_PROXY for http ones (lower case first, as curl), and
 * NO_PROXY exemptions. undici's EnvHttpProxyAgent is a dispatcher for fetch,
 * not an agent node:http can use, hence this small file.
 */
export interface ProxyTarget {
  readonly url: URL
  /** `Basic …` from the proxy URL's credentials; never logged. */
  readonly authorization?: string
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()]
  return v && v.trim() ? v.trim() : undefined
}

/** NO_PROXY: `*`, or a comma (or space) list of hosts, domains (a leading dot is optional), host:port, IP addresses. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase()
    if (!entry) continue
    if (entry === '*') return true
    // A bare IPv6 address (several colons, no brackets) has no port part.
    const m = (entry.split(':').length > 2 && !entry.startsWith('[') ? null : /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry)) ?? [entry, entry, undefined]
    if (!m) continue
    if (m[2] && m[2] !== port) continue
    const name = m[1]!.replace(/^\[|\]$/g, '').replace(/^\*?\./, '')
    if (host === name || host.endsWith(`.${name}`)) return true
  }
  return false
}

/** The proxy for a request to `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv): ProxyTarget | undefined {
  const raw = target.protocol === 'https:' ? envValue(env, 'https_proxy') : envValue(env, 'http_proxy')
  if (!raw || bypassesProxy(target, envValue(env, 'no_proxy'))) return undefined
  let url: URL
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    throw new GitRemoteError('the proxy URL (HTTP_PROXY/HTTPS_PROXY) is not a URL', {}, { retryable: false })
  }
  if (url.protocol !== 'http:') throw new GitRemoteError(`proxy scheme ${url.protocol} is not supported (only http:// proxies)`, {}, { retryable: false })
  const authorization = url.username ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` : undefined
  url.username = ''
  url.password = ''
  return { url, ...(authorization && { authorization }) }
}

/** Opens a CONNECT tunnel through the proxy to the target's host:port; the socket then carries TLS end to end. */
export function connectTunnel(proxy: ProxyTarget, target: URL, signal: AbortSignal, timeoutMs: number): Promise<Duplex> {
  const authority = `${target.hostname}:${target.port || '443'}`
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.url.hostname,
      port: proxy.url.port || 80,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(proxy.authorization && { 'proxy-authorization': proxy.authorization }) },
      agent: false,
      signal,
    })
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('idle timeout'), { code: 'TIMEOUT' })))
    req.once('connect', (res, socket) => {
      req.setTimeout(0)
      if (res.statusCode === 200) return resolve(socket)
      socket.destroy()
      // 407: the proxy wants (other) credentials; neither heals by retrying.
      const status = res.statusCode ?? 0
      reject(new GitRemoteError(`the proxy refused the tunnel: HTTP ${status}`, { status, proxy: true }, { retryable: status >= 500 }))
    })
    req.once('error', reject)
    req.end()
  })
}
