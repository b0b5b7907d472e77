import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface ConnectProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string
  /** CONNECT tunnels opened and absolute-URI requests forwarded. */
  readonly carried: { tunnels: number; requests: number }
  /** Proxy-Authorization headers seen. */
  readonly authorizations: string[]
  close(): Promise<void>
}

/**
 * An HTTP proxy as corporate networks run them: CONNECT tunnels (https) and
 * absolute-URI requests (plain http), counting what it carried.
 */
export async function startConnectProxy(opts: { hosts?: Record<string, string> } = {}): Promise<ConnectProxy> {
  const carried = { tunnels: 0, requests: 0 }
  const authorizations: string[] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    if (req.headers['proxy-authorization']) authorizations.push(req.headers['proxy-authorization'])
    let target: URL
    try {
      target = new URL(req.url ?? '')
    } catch {
      res.writeHead(400).end('absolute URI required')
      return
    }
    carried.requests++
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const fwd = http.request({ host: target.hostname, port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    fwd.on('error', () => res.destroy())
    req.pipe(fwd)
  })
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    if (req.headers['proxy-authorization']) authorizations.push(req.headers['proxy-authorization'])
    const [host, port] = (req.url ?? '').split(':')
    carried.tunnels++
    const upstream = net.connect(Number(port), opts.hosts?.[host ?? ''] ?? host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    sockets.add(client)
    const end = () => {
      upstream.destroy()
      client.destroy()
    }
    upstream.on('error', end)
    client.on('error', end)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    carried,
    authorizations,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
