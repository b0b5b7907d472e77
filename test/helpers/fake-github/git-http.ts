import { spawn } from 'node:child_process'
import type http from 'node:http'
import path from 'node:path'
import type { Auth } from './auth.js'
import type { FakeGitRequest } from './types.js'

/**
 * Git smart HTTP for the fake's repository: real `git http-backend` (CGI) behind the fake's server, with
 * GitHub's credential rule (Basic auth, the token as password, any username such as x-access-token).
 * Adapted from test/helpers/git-server.ts.
 */
function serviceOf(pathname: string): FakeGitRequest['service'] {
  if (pathname.endsWith('/info/refs')) return 'info-refs'
  if (pathname.endsWith('/git-upload-pack')) return 'upload-pack'
  if (pathname.endsWith('/git-receive-pack')) return 'receive-pack'
  return 'other'
}

export function serveGit(bare: string, auth: Auth, log: FakeGitRequest[], req: http.IncomingMessage, res: http.ServerResponse, pathname: string, query: string): void {
  const record: FakeGitRequest = { method: req.method ?? 'GET', service: serviceOf(pathname), status: 0 }
  log.push(record)
  const answer = (status: number, headers: Record<string, string>, body: string | Buffer) => {
    record.status = status
    res.writeHead(status, headers).end(body)
  }
  if (!auth.git(req.headers.authorization)) {
    req.resume()
    // GitHub's wording; git shows it and asks the credential helper.
    answer(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' }, 'Bad credentials\n')
    return
  }
  // GIT_PROJECT_ROOT is two levels up: the path is /<owner>/<repo>.git/...
  const root = path.dirname(path.dirname(bare))
  const child = spawn('git', ['http-backend'], {
    env: {
      ...process.env,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      PATH_INFO: pathname,
      QUERY_STRING: query,
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] && { CONTENT_LENGTH: req.headers['content-length'] }),
      ...(req.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
      ...(req.headers['git-protocol'] && { GIT_PROTOCOL: req.headers['git-protocol'] as string }),
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  req.pipe(child.stdin)
  child.stdin.on('error', () => undefined)
  const chunks: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => chunks.push(c))
  child.stderr.resume()
  child.on('close', () => {
    const out = Buffer.concat(chunks)
    const split = out.indexOf('\r\n\r\n')
    const headerText = out.subarray(0, split < 0 ? 0 : split).toString('latin1')
    const body = split < 0 ? out : out.subarray(split + 4)
    let status = 200
    const headers: Record<string, string> = {}
    for (const line of headerText.split('\r\n')) {
      const i = line.indexOf(':')
      if (i < 0) continue
      const k = line.slice(0, i).trim()
      const v = line.slice(i + 1).trim()
      if (k.toLowerCase() === 'status') status = parseInt(v, 10)
      else headers[k] = v
    }
    answer(status, headers, body)
  })
}
