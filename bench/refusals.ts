import fs from 'node:fs'
import os from 'node:os'
import http from 'node:http'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { serviceImage, serviceName } from './generate-repo.js'
import { Rig, SECRET } from './harness.js'
import { median, percentile } from './stats.js'

export interface RefusalCase {
  readonly name: string
  readonly status: number
  readonly code: string
  /** Fastify's own elapsed time for the request (reply.elapsedTime, from the server's "request refused" log line). */
  readonly serverP50: number
  readonly serverP99: number
  /** The fastest: the request's own cost when the machine's other load left it alone. */
  readonly serverMin: number
  /** From sending the request to the end of the answer, at the client. */
  readonly clientP50: number
}

export interface RefusalResult {
  readonly sources: number
  readonly bytes: number
  readonly n: number
  /** The machine's 1-minute load average when the run ended: wall-clock figures on a shared machine move with it. */
  readonly loadAverage: number
  readonly cores: number
  readonly cases: readonly RefusalCase[]
}

const secretOf = (i: number) => `bench-source-secret-${i}-0123456789abcdef`

/** One POST; resolves with the status and code, or with 0 when the server closed before answering (never expected). */
function post(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; code: string }> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text || '{}') as { code?: string }).code ?? '' }))
    })
    // The server answers a refusal from the headers and closes: the rest of our upload may be cut, which is the point.
    req.on('error', () => resolve({ status: 0, code: '' }))
    req.end(body)
  })
}

function refusedMs(output: string): number[] {
  const out: number[] = []
  for (const line of output.split('\n')) {
    if (!line.includes('"request refused"') || !line.includes('"/v1/events"')) continue
    out.push((JSON.parse(line) as { ms: number }).ms)
  }
  return out
}

/**
 * What a refusal costs the server: 1 MiB requests that are unsigned or wrongly
 * signed, against the real binary with `sources` sources configured, each with
 * its own secret (and a fallback secret). Sequential, so each request's server
 * time is its own.
 */
export async function refusals(bare: string, dataDir: string, sources: number, n: number): Promise<RefusalResult> {
  fs.mkdirSync(dataDir, { recursive: true })
  const configFile = path.join(dataDir, 'infra-sync.config.yaml')
  const lines = ['sources:']
  for (let i = 0; i < sources; i++) lines.push(`  acme/${serviceName(i)}: { secret: ${secretOf(i)} }`)
  fs.writeFileSync(configFile, `${lines.join('\n')}\n`)
  const rig = await Rig.start(bare, dataDir, { INFRA_SYNC_CONFIG: configFile })
  try {
    const source = `acme/${serviceName(sources - 1)}`
    const pad = 1024 * 1024 - 1024
    const body = Buffer.from(JSON.stringify({ source, image: serviceImage(sources - 1), tag: 'main-1', ref: 'refs/heads/main', buildUrl: `https://ci.example/${'x'.repeat(pad)}` }))
    const signedBy = (secret: string, named: string | undefined, id: string) => {
      const ts = Math.floor(Date.now() / 1000)
      return {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        // A well-formed signature by a secret nobody configured: the server must hash the whole body to know.
        'webhook-signature': `v1,${Buffer.from(`${secret}${id}`.padEnd(32, '.').slice(0, 32)).toString('base64')}`,
        ...(named && { 'infra-sync-source': named }),
      }
    }
    const cases: { name: string; headers: (k: number) => Record<string, string> }[] = [
      { name: 'no signature headers', headers: () => ({ 'content-type': 'application/json' }) },
      { name: `a wrong signature, naming a source (${source})`, headers: (k) => signedBy(SECRET, source, `wrong-named-${k}`) },
      { name: 'a wrong signature, naming no source (the fallback secret)', headers: (k) => signedBy(SECRET, undefined, `wrong-unnamed-${k}`) },
    ]
    const out: RefusalCase[] = []
    const send = (c: (typeof cases)[number], k: number) => post(`${rig.server.url}/v1/events`, c.headers(k), body)
    // The log is written asynchronously: wait until it holds `count` refusals.
    const logged = async (count: number) => {
      const end = performance.now() + 10_000
      while (refusedMs(rig.server.output()).length < count && performance.now() < end) await new Promise((r) => setTimeout(r, 20))
    }
    let seen = 0
    for (const c of cases) {
      // Warm: the first requests of a fresh process pay for compiling the paths they take.
      const warm = 10
      for (let k = 0; k < warm; k++) await send(c, -1 - k)
      seen += warm
      await logged(seen)
      const client: number[] = []
      let last = { status: 0, code: '' }
      for (let k = 0; k < n; k++) {
        const t0 = performance.now()
        last = await send(c, k)
        client.push(performance.now() - t0)
      }
      await logged(seen + n)
      const server = refusedMs(rig.server.output()).slice(seen, seen + n)
      seen += n
      out.push({ name: c.name, status: last.status, code: last.code, serverP50: median(server), serverP99: percentile(server, 99), serverMin: Math.min(...server), clientP50: median(client) })
    }
    return { sources, bytes: body.length, n, loadAverage: os.loadavg()[0]!, cores: os.cpus().length, cases: out }
  } finally {
    await rig.stop()
  }
}
