// Plain JS against dist/: a TypeScript loader alone would take some 200 MiB of the RSS being measured.
// Prints one JSON line: the peak RSS (MiB) of this process, at start and after the work.
import fs from 'node:fs'
import path from 'node:path'

const dist = process.env.INFRA_SYNC_TEST_DIST ?? path.resolve(import.meta.dirname, '..', '..', 'dist')
const [mode, ...args] = process.argv.slice(2)
// VmHWM, this process's own peak: getrusage's maxRSS carries the parent's size over exec when it was larger.
const mib = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024
const start = mib()
let result
if (mode === 'index') {
  const { indexPackFile } = await import(path.join(dist, 'git', 'pack-indexer.js'))
  const [tmpFile, packDir] = args
  result = { objects: (await indexPackFile(tmpFile, packDir)).oids.length }
} else if (mode === 'fetch') {
  const { HttpRemote } = await import(path.join(dist, 'git', 'http-remote.js'))
  const [url, clonesDir, branch] = args
  const remote = new HttpRemote({ url, clonesDir, branch })
  await remote.prepare()
  result = { head: await remote.sync(), gitdir: remote.gitdir }
  await remote.close()
} else throw new Error(`unknown mode ${mode}`)
console.log(JSON.stringify({ startMiB: start, peakMiB: mib(), ...result }))
