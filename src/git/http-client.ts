import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import tls from 'node:tls'
import { GitRemoteError } from '../core/errors.js'
import { VERSION } from '../core/version.js'
import { connectTunnel, proxyFor } from './http-proxy.js'

/** GitHub and other forges route smart-HTTP traffic on a `git/` prefix, as git's own `git/2.x`. */
export const GIT_USER_AGENT = `git/2.0 (infra-sync/${VERSION})`

export interface HttpClientOptions {
  /** Longest silence on a socket before the request is abandoned. */
  readonly idleTimeoutMs?: number
  /** Longest whole request, response body included (`simple`). */
  readonly deadlineMs?: number
  /**
   * Longest streamed request (`stream`: a pack). A 150 MiB pack on a slow link
   * outlasts `deadlineMs`; the idle timeout catches a dead server, this only
   * bounds a server that trickles forever.
   */
  readonly streamDeadlineMs?: number
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

export interface StreamResponse {
  readonly statusCode: number
  readonly headers: Record<string, string>
  /** Read once; each chunk is awaited before the next is read from the socket (back-pressure). */
  readonly body: AsyncIterable<Buffer>
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
export class GitHttpClient {
  private readonly httpAgent: http.Agent
  private readonly httpsAgent: https.Agent
  private readonly idleTimeoutMs: number
  private readonly deadlineMs: number
  private readonly streamDeadlineMs: number
  private readonly env: NodeJS.ProcessEnv
  private readonly ca: string | Buffer | undefined

  constructor(opts: HttpClientOptions = {}) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000
    this.deadlineMs = opts.deadlineMs ?? 120_000
    this.streamDeadlineMs = opts.streamDeadlineMs ?? 3_600_000
    this.env = opts.env ?? process.env
    this.ca = opts.ca
    this.httpAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 8 })
    this.httpsAgent = new https.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 8, ...(opts.ca && { ca: opts.ca }) })
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

  /**
   * A request whose response body is read as it arrives (a pack). The idle
   * timeout guards every wait on the socket, body included; the overall
   * bound is `streamDeadlineMs`, not `deadlineMs`. Errors while reading are
   * GitRemoteErrors as from `simple`. Stop reading early and the response is
   * destroyed (the iterator's return).
   */
  async stream(url: string, method: string, headers: Record<string, string>, body?: Uint8Array, signal?: AbortSignal): Promise<StreamResponse> {
    const res = await this.send(url, method, headers, body === undefined ? undefined : Buffer.from(body), signal, false, this.streamDeadlineMs)
    const wrap = (e: unknown) => this.wrap(e, url, method)
    async function* chunks(): AsyncGenerator<Buffer> {
      try {
        for await (const c of res) yield c as Buffer
      } catch (e) {
        throw wrap(e)
      } finally {
        res.destroy()
      }
    }
    return { statusCode: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: chunks() }
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

  private async send(url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined, retried = false, deadlineMs = this.deadlineMs): Promise<http.IncomingMessage> {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new GitRemoteError('invalid remote URL', {}, { retryable: false })
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new GitRemoteError(`unsupported URL scheme ${u.protocol}`, { url: redactUrl(url) }, { retryable: false })
    const deadline = AbortSignal.timeout(deadlineMs)
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
      let response: http.IncomingMessage | undefined
      const req = lib.request({ ...target, method, headers: allHeaders, signal: combined }, (res) => {
        // Once the body is streaming, an abort or the deadline fails it as such, not as the reset it causes.
        const onAbort = () => res.destroy(combined.reason as Error)
        combined.addEventListener('abort', onAbort, { once: true })
        res.once('close', () => combined.removeEventListener('abort', onAbort))
        resolve((response = res))
      })
      req.setTimeout(this.idleTimeoutMs, () => {
        // Silence while a streamed body is read: the body fails as a timeout, not as the reset that destroying the request causes.
        const idle = Object.assign(new Error('idle timeout'), { code: 'TIMEOUT' })
        response?.destroy(idle)
        req.destroy(idle)
      })
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!retried && method === 'GET' && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          this.send(url, method, headers, body, signal, true, deadlineMs).then(resolve, reject)
          return
        }
        reject(this.wrap(e, url, method))
      })
      req.end(body)
    })
  }
}
