import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import tls from 'node:tls'
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git'
import { GitRemoteError } from '../core/errors.js'
import { connectTunnel, proxyFor } from './http-proxy.js'

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** GitHub and other forges route smart-HTTP traffic on a `git/` prefix, as git's own `git/2.x`. */
export const GIT_USER_AGENT = `git/2.0 (infra-sync/${version()})`

export interface HttpClientOptions {
  /** Longest silence on a socket before the request is abandoned. */
  readonly idleTimeoutMs?: number
  /** Longest whole request, response body included. */
  readonly deadlineMs?: number
  /** Where HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read; process.env by default. */
  readonly env?: NodeJS.ProcessEnv
  /** Certificate authorities to trust for https instead of Node's (a private CA; tests). */
  readonly ca?: string | Buffer
}

export interface SimpleResponse {
  readonly statusCode: number
  readonly headers: Record<string, string>
  readonly body: Buffer
}

async function collect(body: GitHttpRequest['body'] | Uint8Array | undefined): Promise<Buffer | undefined> {
  if (body === undefined) return undefined
  if (body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Buffer[] = []
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

/** Strips credentials and query from a URL so it can appear in logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    u.search = ''
    return u.toString()
  } catch {
    return '<invalid url>'
  }
}

/**
 * The one HTTP client for git traffic: its own keep-alive agents (the shared
 * global agent's sockets are cut by servers' short keep-alive timeouts in the
 * middle of long pushes), an idle timeout and an overall deadline on every
 * request, one retry of an idempotent GET whose reused socket was closed, and
 * errors that never carry credentials.
 */
export class GitHttpClient implements HttpClient {
  private readonly httpAgent: http.Agent
  private readonly httpsAgent: https.Agent
  private readonly idleTimeoutMs: number
  private readonly deadlineMs: number
  private readonly env: NodeJS.ProcessEnv
  private readonly ca: string | Buffer | undefined

  constructor(opts: HttpClientOptions = {}) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000
    this.deadlineMs = opts.deadlineMs ?? 120_000
    this.env = opts.env ?? process.env
    this.ca = opts.ca
    this.httpAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 8 })
    this.httpsAgent = new https.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 8, ...(opts.ca && { ca: opts.ca }) })
  }

  /** isomorphic-git's HttpClient interface. */
  request = async (req: GitHttpRequest): Promise<GitHttpResponse> => {
    const body = await collect(req.body)
    const res = await this.send(req.url, req.method ?? 'GET', req.headers ?? {}, body, req.signal as AbortSignal | undefined)
    return {
      url: req.url,
      method: req.method ?? 'GET',
      statusCode: res.statusCode ?? 0,
      statusMessage: res.statusMessage ?? '',
      headers: flatHeaders(res.headers),
      body: res[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
    }
  }

  /** A request whose whole response body is read into memory. */
  async simple(url: string, method: string, headers: Record<string, string>, body?: Uint8Array, signal?: AbortSignal): Promise<SimpleResponse> {
    const res = await this.send(url, method, headers, body === undefined ? undefined : Buffer.from(body), signal)
    const chunks: Buffer[] = []
    try {
      for await (const c of res) chunks.push(c as Buffer)
    } catch (e) {
      throw this.wrap(e, url, method)
    }
    return { statusCode: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: Buffer.concat(chunks) }
  }

  close(): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }

  private wrap(e: unknown, url: string, method: string): GitRemoteError {
    if (e instanceof GitRemoteError) return e
    const err = e as NodeJS.ErrnoException
    const code = err?.name === 'AbortError' || err?.name === 'TimeoutError' ? 'TIMEOUT' : (err?.code ?? 'ERROR')
    return new GitRemoteError(`${method} ${redactUrl(url)} failed: ${code}`, { url: redactUrl(url), method, cause: code })
  }

  private async send(url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined, retried = false): Promise<http.IncomingMessage> {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new GitRemoteError('invalid remote URL', {}, { retryable: false })
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new GitRemoteError(`unsupported URL scheme ${u.protocol}`, { url: redactUrl(url) }, { retryable: false })
    const deadline = AbortSignal.timeout(this.deadlineMs)
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline
    const proxy = proxyFor(u, this.env)
    const allHeaders: http.OutgoingHttpHeaders = { ...headers, 'user-agent': GIT_USER_AGENT, ...(body && { 'content-length': String(body.length) }) }
    let options: http.RequestOptions
    let lib: typeof http | typeof https = u.protocol === 'https:' ? https : http
    if (!proxy) {
      options = { agent: u.protocol === 'https:' ? this.httpsAgent : this.httpAgent }
    } else if (u.protocol === 'http:') {
      // Plain http through a proxy: the request line carries the absolute URI, the proxy connects.
      options = {
        host: proxy.url.hostname,
        port: proxy.url.port || 80,
        path: u.href.replace(/#.*$/, ''),
        agent: this.httpAgent,
        setHost: false,
      }
      allHeaders.host = u.host
      if (proxy.authorization) allHeaders['proxy-authorization'] = proxy.authorization
    } else {
      // https through a proxy: a CONNECT tunnel per request, TLS inside it to the real host.
      const socket = await connectTunnel(proxy, u, combined, this.idleTimeoutMs).catch((e) => {
        throw this.wrap(e, url, method)
      })
      // No agent: with one, node:http would open its own connection and ignore createConnection.
      options = { createConnection: () => tls.connect({ socket, ...(this.ca && { ca: this.ca }), host: u.hostname.replace(/^\[|\]$/g, ''), ...(!isIP(u.hostname.replace(/^\[|\]$/g, '')) && { servername: u.hostname }) }) }
      lib = https
    }
    return new Promise((resolve, reject) => {
      const target = proxy && u.protocol === 'http:' ? options : { ...options, protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: `${u.pathname}${u.search}` }
      const req = lib.request({ ...target, method, headers: allHeaders, signal: combined }, (res) => resolve(res))
      req.setTimeout(this.idleTimeoutMs, () => req.destroy(Object.assign(new Error('idle timeout'), { code: 'TIMEOUT' })))
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!retried && method === 'GET' && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          this.send(url, method, headers, body, signal, true).then(resolve, reject)
          return
        }
        reject(this.wrap(e, url, method))
      })
      req.end(body)
    })
  }
}
