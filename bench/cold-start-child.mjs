/**
 * One cold start in its own process, as the worker thread makes it: the
 * remote opened for a fresh data folder, prepare(), sync() (the first clone),
 * then the service registry loaded from the head (what planBatch reads before
 * it can plan). Prints one JSON line. Plain JavaScript over dist/ (the code
 * the server runs), so that no TypeScript loader sits in its time or memory.
 * Run by cold-start.ts after `npm run build`:
 * `node bench/cold-start-child.mjs <builtin|cli> <url> <token> <dataDir>`
 */
import fs from 'node:fs'
import { performance } from 'node:perf_hooks'
import { openRemote } from '../dist/git/open-remote.js'
import { GitSnapshot } from '../dist/git/snapshot.js'
import { loadRegistry } from '../dist/projects/registry.js'

/**
 * This process's peak RSS (for the cli transport, git's own processes are not in it). VmHWM, not
 * getrusage's maxRSS: Linux carries maxRSS over exec, so that would report the bench process's size
 * at the fork when it is larger.
 */
const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024

const [transport, url, token, dataDir] = process.argv.slice(2)
const remote = openRemote({ location: url, kind: 'http', branch: 'main', transport, token }, dataDir)
// CPU time of this process beside the wall clock: on a loaded machine the wall clock says more about the neighbours.
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const c0 = cpu()
const t0 = performance.now()
await remote.prepare()
const t1 = performance.now()
const head = await remote.sync()
const t2 = performance.now()
const c2 = cpu()
if (!head) throw new Error('the remote branch is empty')
const registry = await loadRegistry(await GitSnapshot.at(remote.objects, head))
const t3 = performance.now()
const c3 = cpu()
await remote.close()
process.stdout.write(
  `${JSON.stringify({
    prepare: t1 - t0,
    sync: t2 - t1,
    registry: t3 - t2,
    total: t3 - t0,
    cpuSync: c2 - c0,
    cpuRegistry: c3 - c2,
    services: registry.services.size,
    gitdir: remote.gitdir,
    maxRss: peakRss(),
  })}\n`,
)
