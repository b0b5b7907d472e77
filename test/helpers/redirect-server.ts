import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly authorization?: string
  readonly userAgent?: string
}

export interface RedirectServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string
  readonly requests: SeenRequest[]
  close(): Promise<void>
}

/**
 * A server in front of another: `redirect(path)` names where a request goes
 * (a Location, relative or absolute, answered with `status`), or undefined to
 * forward the request to `upstream` as it is. Records what it saw, headers
 * included, to check which requests carried credentials.
 */
export async function startRedirectServer(upstream: string, redirect: (path: string) => string | undefined, status = 301): Promise<RedirectServer> {
  const requests: SeenRequest[] = []
  const up = new URL(upstream)
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/'
    requests.push({ method: req.method ?? 'GET', url, ...(req.headers.authorization && { authorization: req.headers.authorization }), ...(req.headers['user-agent'] && { userAgent: req.headers['user-agent'] }) })
    const location = redirect(url)
    if (location !== undefined) {
      req.resume()
      res.writeHead(status, { location }).end()
      return
    }
    const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: url, headers: { ...req.headers, host: up.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    fwd.on('error', () => res.destroy())
    req.pipe(fwd)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
