import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { Config } from '../../src/config/config.js'
import { REDACT } from '../../src/http/app.js'
import { startServer, type Server } from '../../src/main.js'
import type { EventRecord } from '../../src/store/store.js'
import { FALLBACK, SECRET_A, SECRET_B, signedHeaders } from './sign.js'
import { eventually, tmpDir } from './tmp.js'

interface TestLike {
  teardown(fn: () => unknown): void
}

/** The example services of this repository, as an infra repo's files. */
export function exampleInfraFiles(): Record<string, string> {
  const root = path.resolve(import.meta.dirname, '..', '..')
  const out: Record<string, string> = {}
  const walk = (dir: string, prefix: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name)
      if (e.isDirectory()) walk(full, `${prefix}${e.name}/`)
      else out[`${prefix}${e.name}`] = fs.readFileSync(full, 'utf8')
    }
  }
  walk(path.join(root, 'services'), 'services/')
  walk(path.join(root, 'infra-template', 'argocd'), 'argocd/')
  return out
}

export interface TestServer extends Server {
  /** Every log line written so far. */
  readonly logs: string[]
  readonly config: Config
}

/** An in-process server against the given repo, with per-source secrets for orders-api and payments and a fallback. */
export async function startTestServer(t: TestLike, repo: { location: string; kind: 'http' | 'local'; token?: string }, over: Partial<Config> = {}): Promise<TestServer> {
  const dir = tmpDir(t)
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const logger = pino({ level: 'debug', redact: { paths: [...REDACT, 'token', 'secret'], censor: '[redacted]' } }, sink)
  const given: Omit<Config, 'repos'> & { repos?: Config['repos'] } = {
    port: 0,
    host: '127.0.0.1',
    dataDir: dir,
    repo: { location: repo.location, kind: repo.kind, branch: 'main', ...(repo.token && { token: repo.token }) },
    embeddedRepo: false,
    databaseUrl: `sqlite:${path.join(dir, 'infra-sync.db')}`,
    secrets: { bySource: new Map([['acme/orders-api', [SECRET_A]], ['acme/payments', [SECRET_B]]]), fallback: [FALLBACK], github: [], githubBySource: new Map() },
    author: { name: 'infra-sync', email: 'infra-sync@localhost' },
    rateLimit: { perSecond: 0, burst: 1 },
    http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 },
    worker: { pollMs: 50, retryBaseMs: 50, retryCapMs: 500 },
    sourceReports: new Map(),
    notifications: new Map(),
    windows: [],
    emergencySources: new Set(),
    logLevel: 'debug',
    ...over,
  }
  const config: Config = { ...given, repos: given.repos ?? [given.repo] }
  // The worker thread runs the compiled code (npm test builds first): a thread that transpiles TypeScript takes seconds to start.
  const server = await startServer(config, { logger, workerThread: { entry: new URL('../../dist/worker/worker-thread.js', import.meta.url), execArgv: [] } })
  t.teardown(() => server.close())
  return Object.assign(server, { logs, config })
}

/**
 * One server for the subtests of a file that use the same configuration and do not disturb each
 * other: every server starts a worker thread that loads the whole worker (about 2 s of CPU).
 * Started by the first subtest that asks for it; closed, and its folders removed, when `root` ends.
 */
export function sharedTestServer<T extends TestLike>(root: T, start: (root: T) => Promise<TestServer>): () => Promise<TestServer> {
  let server: Promise<TestServer> | undefined
  return () => (server ??= start(root))
}

interface AssertLike {
  equal(found: unknown, wanted: unknown, message?: string): unknown
}

/** Posts a build of `ghcr.io/<source>` signed with the fallback secret, asserts it was accepted, and waits until the worker has decided it. */
export async function sendAndSettle(t: AssertLike, server: TestServer, source: string, tag: string): Promise<EventRecord> {
  const payload = JSON.stringify({ source, image: `ghcr.io/${source}`, tag, ref: 'refs/heads/main' })
  const res = await server.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(FALLBACK, payload), payload })
  t.equal(res.statusCode, 202)
  const id = (res.json() as { id: string }).id
  return eventually(async () => {
    const r = await server.store.get(id)
    return r && r.status !== 'queued' ? r : undefined
  })
}
