import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { startGitServer, type GitServer, type RequestInfo } from '../test/helpers/git-server.js'
import { TOKEN } from './harness.js'
import { median } from './stats.js'
import type { Transport } from './transport-rig.js'

const execFileP = promisify(execFile)

export interface ColdStartRun {
  readonly prepare: number
  readonly sync: number
  readonly registry: number
  readonly total: number
  /** CPU time of the Node process (user + system) for prepare + sync, and for the registry. */
  readonly cpuSync: number
  readonly cpuRegistry: number
  readonly services: number
  readonly maxRss: number
  /** Bytes the clone takes on disk (allocated blocks, as du counts them). */
  readonly diskBytes: number
  /** Whether the clone is shallow (<gitdir>/shallow exists). */
  readonly shallow: boolean
  /** Requests the remote received: ref advertisements (GET info/refs) and upload-pack POSTs. */
  readonly infoRefs: number
  readonly uploadPacks: number
  /** Git-Protocol headers the remote received (none: protocol v0). */
  readonly protocols: readonly string[]
}

export interface ColdStartResult {
  readonly transport: Transport
  readonly services: number
  readonly runs: readonly ColdStartRun[]
  readonly p50: { readonly prepare: number; readonly sync: number; readonly registry: number; readonly total: number; readonly cpuSync: number; readonly cpuRegistry: number; readonly maxRss: number; readonly diskBytes: number }
  /** Runs whose clone was shallow. */
  readonly shallowRuns: number
  readonly requests: { readonly infoRefs: number; readonly uploadPacks: number }
  readonly protocols: readonly string[]
}

function diskUsage(dir: string): number {
  let bytes = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) bytes += fs.statSync(path.join(e.parentPath, e.name)).blocks * 512
  }
  return bytes
}

async function oneRun(transport: Transport, git: GitServer, dataDir: string): Promise<ColdStartRun> {
  const url = git.url
  const from = git.requests.length
  fs.rmSync(dataDir, { recursive: true, force: true })
  fs.mkdirSync(dataDir, { recursive: true })
  const { stdout } = await execFileP(process.execPath, [path.join(import.meta.dirname, 'cold-start-child.mjs'), transport, url, TOKEN, dataDir], { maxBuffer: 1024 * 1024 })
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<ColdStartRun, 'diskBytes' | 'shallow' | 'infoRefs' | 'uploadPacks' | 'protocols'> & { gitdir: string }
  const seen: RequestInfo[] = git.requests.slice(from)
  const run = {
    ...{ prepare: r.prepare, sync: r.sync, registry: r.registry, total: r.total, cpuSync: r.cpuSync, cpuRegistry: r.cpuRegistry, services: r.services, maxRss: r.maxRss },
    diskBytes: diskUsage(r.gitdir),
    shallow: fs.existsSync(path.join(r.gitdir, 'shallow')),
    infoRefs: seen.filter((q) => q.service === 'info-refs').length,
    uploadPacks: seen.filter((q) => q.service === 'upload-pack').length,
    // The header is recorded by the test server from c0732ef on; before that, none is seen.
    protocols: [...new Set(seen.map((q) => (q as { gitProtocol?: string }).gitProtocol).filter((p): p is string => !!p))],
  }
  fs.rmSync(dataDir, { recursive: true, force: true })
  return run
}

/**
 * Cold starts of `bare` (one git http-backend for all runs), `runs` per
 * transport, alternating the transports so that the machine's load falls on
 * both alike. Each run in a fresh process and a fresh data folder.
 */
export async function coldStarts(bare: string, work: string, transports: readonly Transport[], runs: number): Promise<ColdStartResult[]> {
  const git = await startGitServer(bare, { token: TOKEN })
  const all = new Map<Transport, ColdStartRun[]>(transports.map((t) => [t, []]))
  try {
    for (let k = 0; k < runs; k++) {
      for (const t of transports) all.get(t)!.push(await oneRun(t, git, path.join(work, `cold-${t}`)))
    }
  } finally {
    await git.close()
  }
  return transports.map((transport) => {
    const list = all.get(transport)!
    const m = (f: (r: ColdStartRun) => number) => median(list.map(f))
    return {
      transport,
      services: list[0]!.services,
      runs: list,
      p50: { prepare: m((r) => r.prepare), sync: m((r) => r.sync), registry: m((r) => r.registry), total: m((r) => r.total), cpuSync: m((r) => r.cpuSync), cpuRegistry: m((r) => r.cpuRegistry), maxRss: m((r) => r.maxRss), diskBytes: m((r) => r.diskBytes) },
      shallowRuns: list.filter((r) => r.shallow).length,
      requests: { infoRefs: m((r) => r.infoRefs), uploadPacks: m((r) => r.uploadPacks) },
      protocols: [...new Set(list.flatMap((r) => r.protocols))],
    }
  })
}
