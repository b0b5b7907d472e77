import net from 'node:net'

interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * A TCP relay to a PostgreSQL server that can go silent, as a cut network
 * does (no reset, no answer): by `silence()`, or right after it forwards a
 * client message `silenceAfter` picks (the server then runs it, and its
 * answer is lost).
 */
export async function silentRelay(t: Teardown, target: URL, silenceAfter?: (chunk: Buffer) => boolean) {
  let silent = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => undefined)
    }
    client.on('data', (d) => {
      if (silent) return
      upstream.write(d)
      if (silenceAfter?.(d)) silent = true
    })
    upstream.on('data', (d) => silent || client.write(d))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return { port: (server.address() as net.AddressInfo).port, silence: () => (silent = true) }
}
