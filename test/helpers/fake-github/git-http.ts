import type http from 'node:http'
import path from 'node:path'
import { runHttpBackend } from '../http-backend.js'
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
  void runHttpBackend(req, { root, pathname, query, user: 'x-access-token', env: { GIT_CONFIG_NOSYSTEM: '1' } }).then(({ status, headers, body }) => answer(status, headers, body))
}
