import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Readable } from 'node:stream'
import { runHttpBackend } from './http-backend.js'

export type GitService = 'info-refs' | 'upload-pack' | 'receive-pack' | 'other'

export interface RequestInfo {
  readonly method: string
  readonly service: GitService
  readonly url: string
  readonly authorization?: string
  /** The Git-Protocol header as the server received it (before `protocol: 0` strips it). */
  readonly gitProtocol?: string
  /** An upload-pack request's body once it has arrived (the v2 command and its arguments; small). */
  body?: Buffer
}

/**
 * Fault hooks. `before` runs before the request reaches git http-backend,
 * `after` once git has finished (the ref already moved, for a push) but
 * before the client sees the answer. Either may delay, or return
 * 'fail' (answer 500) or 'drop' (cut the connection).
 */
export interface GitServerHooks {
  before?(req: RequestInfo): Promise<void | 'fail' | 'drop'> | void | 'fail' | 'drop'
  after?(req: RequestInfo): Promise<void | 'drop'> | void | 'drop'
}

export interface GitServer {
  readonly url: string
  readonly requests: RequestInfo[]
  hooks: GitServerHooks
  /** The password requests need from now on (a rotated token); undefined: none. */
  token: string | undefined
  /** The protocol from now on (0: an old server, or a proxy that drops Git-Protocol). */
  protocol: 0 | 2
  close(): Promise<void>
}

function serviceOf(url: string): GitService {
  if (url.includes('/info/refs')) return 'info-refs'
  if (url.endsWith('/git-upload-pack')) return 'upload-pack'
  if (url.endsWith('/git-receive-pack')) return 'receive-pack'
  return 'other'
}

/**
 * A real git smart-HTTP server: `git http-backend` (CGI, from the git
 * package) behind a tiny Node HTTP server, serving one bare repository.
 * With `token`, requests need Basic auth with that password.
 */
export interface GitServerOptions {
  token?: string
  hooks?: GitServerHooks
  /** 0: the Git-Protocol header is dropped, so git answers in protocol v0 as an old server would; 2 (default): passed on as GIT_PROTOCOL. */
  protocol?: 0 | 2
}

export async function startGitServer(bareRepo: string, opts: GitServerOptions = {}): Promise<GitServer> {
  const root = path.dirname(bareRepo)
  const name = path.basename(bareRepo)
  const requests: RequestInfo[] = []
  const state = { hooks: opts.hooks ?? {}, token: opts.token, protocol: opts.protocol ?? 2 }

  const server = http.createServer(async (req, res) => {
    const url = req.url ?? '/'
    const gitProtocol = req.headers['git-protocol'] as string | undefined
    const info: RequestInfo = {
      method: req.method ?? 'GET',
      service: serviceOf(url.split('?')[0]!),
      url,
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
      ...(gitProtocol && { gitProtocol }),
    }
    requests.push(info)
    // An upload-pack request is small: read whole, so the tests can see what was asked, then handed to git as it came.
    let input: http.IncomingMessage = req
    if (info.service === 'upload-pack') {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      info.body = Buffer.concat(chunks)
      input = Object.assign(Readable.from([info.body]), { method: req.method, headers: req.headers }) as unknown as http.IncomingMessage
    }
    if (state.protocol === 0) delete req.headers['git-protocol']
    if (state.token) {
      const expected = `Basic ${Buffer.from(`x-access-token:${state.token}`).toString('base64')}`
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('unauthorised')
        return
      }
    }
    const verdict = await state.hooks.before?.(info)
    if (verdict === 'fail') {
      req.resume()
      res.writeHead(500).end('injected failure')
      return
    }
    if (verdict === 'drop') {
      req.socket.destroy()
      return
    }
    const [pathname, query = ''] = url.split('?') as [string, string?]
    if (!pathname.startsWith(`/${name}/`)) {
      // As GitHub answers a wrong repository URL.
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Repository not found.\n')
      return
    }
    void runHttpBackend(input, { root, pathname, query, user: 'tester' }).then(async ({ status, headers, body }) => {
      const after = await state.hooks.after?.(info)
      if (after === 'drop') {
        req.socket.destroy()
        return
      }
      res.writeHead(status, headers).end(body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/${name}`,
    requests,
    get hooks() {
      return state.hooks
    },
    set hooks(h: GitServerHooks) {
      state.hooks = h
    },
    get protocol() {
      return state.protocol
    },
    set protocol(v: 0 | 2) {
      state.protocol = v
    },
    get token() {
      return state.token
    },
    set token(v: string | undefined) {
      state.token = v
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
