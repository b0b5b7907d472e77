import { spawn } from 'node:child_process'
import type http from 'node:http'

export interface CgiAnswer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Buffer
}

/**
 * One request through the real `git http-backend` (CGI): the request body is
 * piped in, and the CGI output is split into status, headers and body. The
 * test servers (git-server.ts, the fake GitHub) answer with it as they see fit.
 */
export function runHttpBackend(req: http.IncomingMessage, opts: { root: string; pathname: string; query: string; user: string; env?: Record<string, string> }): Promise<CgiAnswer> {
  const child = spawn('git', ['http-backend'], {
    env: {
      ...process.env,
      ...opts.env,
      GIT_PROJECT_ROOT: opts.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: opts.pathname,
      QUERY_STRING: opts.query,
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] && { CONTENT_LENGTH: req.headers['content-length'] }),
      ...(req.headers['content-encoding'] && { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
      ...(req.headers['git-protocol'] && { GIT_PROTOCOL: req.headers['git-protocol'] as string }),
      REMOTE_USER: opts.user,
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  req.pipe(child.stdin)
  child.stdin.on('error', () => undefined)
  const chunks: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => chunks.push(c))
  child.stderr.resume()
  return new Promise((resolve) =>
    child.on('close', () => {
      const out = Buffer.concat(chunks)
      const split = out.indexOf('\r\n\r\n')
      const headerText = out.subarray(0, split < 0 ? 0 : split).toString('latin1')
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
      resolve({ status, headers, body: split < 0 ? out : out.subarray(split + 4) })
    }),
  )
}
