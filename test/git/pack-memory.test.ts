import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { git } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * Issue #12's bound: fetching a 150 MiB pack keeps peak RSS under 200 MiB
 * (it was 600+ when the pack was read whole). Measured in a child process
 * running dist/ (`npm run build` first), so nothing of tap's or a
 * TypeScript loader's memory counts.
 */
const BOUND_MIB = 200
const PACK_MIB = 150
const CHILD = path.resolve(import.meta.dirname, '..', 'helpers', 'pack-memory-child.mjs')
const run = promisify(execFile)

async function child(...args: string[]): Promise<{ startMiB: number; peakMiB: number; head?: string; gitdir?: string; objects?: number }> {
  // tap puts its loaders in every child's NODE_OPTIONS, whatever env is passed: `env -u` drops them, or they would count in the RSS.
  const { stdout } = await run('env', ['-u', 'NODE_OPTIONS', process.execPath, CHILD, ...args], { encoding: 'utf8', maxBuffer: 1024 * 1024 })
  return JSON.parse(stdout.trim().split('\n').pop()!)
}

/** Incompressible blobs of mixed sizes up to 1 MiB, PACK_MIB in all, in one bare repository packed without compression (fast). */
function bigRepo(dir: string): { bare: string; head: string } {
  const bare = path.join(dir, 'big.git')
  const files = path.join(dir, 'files')
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare)
  git(bare, 'config', 'core.compression', '0')
  // No delta search between random blobs: it finds nothing and takes most of the time.
  git(bare, 'config', 'pack.window', '0')
  let total = 0
  for (let i = 0; total < PACK_MIB * 1024 * 1024; i++) {
    // Sizes from a few bytes to 1 MiB, many small and some large, as a repository's files are.
    const size = i % 7 === 0 ? 1024 * 1024 : Math.floor(((i * 7919) % 1000) ** 2 / 1000) * 1024 + (i % 13)
    const file = path.join(files, `d${i % 10}`, `f${i}.bin`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, randomBytes(size))
    total += size
  }
  const env = { GIT_DIR: bare, GIT_WORK_TREE: files }
  const g = (...args: string[]) => execFileSync('git', args, { env: { ...process.env, ...env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' }, encoding: 'utf8' })
  g('add', '-A')
  g('commit', '-q', '-m', 'big')
  // Served from one pack: upload-pack then sends its entries as they are.
  g('-c', 'pack.compression=0', 'repack', '-a', '-d', '-q')
  fs.rmSync(files, { recursive: true, force: true })
  return { bare, head: g('rev-parse', 'main').trim() }
}

t.test(`a ${PACK_MIB} MiB pack: fetched and indexed under ${BOUND_MIB} MiB of peak RSS`, async (t) => {
  const dir = tmpDir(t)
  const { bare, head } = bigRepo(dir)
  const packBytes = fs
    .readdirSync(path.join(bare, 'objects', 'pack'))
    .filter((n) => n.endsWith('.pack'))
    .reduce((s, n) => s + fs.statSync(path.join(bare, 'objects', 'pack', n)).size, 0)
  t.ok(packBytes >= PACK_MIB * 1024 * 1024, `the pack is ${(packBytes / 1048576).toFixed(0)} MiB`)

  t.test('indexPackFile alone', async (t) => {
    const tmp = path.join(dir, 'incoming.pack')
    fs.copyFileSync(fs.readdirSync(path.join(bare, 'objects', 'pack')).filter((n) => n.endsWith('.pack')).map((n) => path.join(bare, 'objects', 'pack', n))[0]!, tmp)
    const out = path.join(dir, 'indexed')
    const r = await child('index', tmp, out)
    t.comment(`indexPackFile: peak RSS ${r.peakMiB.toFixed(0)} MiB (${r.startMiB.toFixed(0)} MiB at start)`)
    t.ok(r.peakMiB < BOUND_MIB, `peak RSS ${r.peakMiB.toFixed(0)} MiB`)
    const idx = fs.readdirSync(out).find((n) => n.endsWith('.idx'))!
    t.doesNotThrow(() => execFileSync('git', ['verify-pack', path.join(out, idx)]), 'git verify-pack accepts the index')
  })

  t.test('HttpRemote.sync from git http-backend', async (t) => {
    const server = await startGitServer(bare)
    t.teardown(() => server.close())
    const clones = path.join(dir, 'clones')
    const r = await child('fetch', server.url, clones, 'main')
    t.comment(`HttpRemote.sync: peak RSS ${r.peakMiB.toFixed(0)} MiB (${r.startMiB.toFixed(0)} MiB at start)`)
    t.equal(r.head, head)
    t.ok(r.peakMiB < BOUND_MIB, `peak RSS ${r.peakMiB.toFixed(0)} MiB`)
    t.doesNotThrow(() => git(r.gitdir!, 'fsck', '--connectivity-only', '--no-dangling', head), 'the clone has every object of the head')
  })
})
