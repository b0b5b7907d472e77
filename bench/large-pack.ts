import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import path from 'node:path'

/**
 * A bare repo whose one commit holds `mib` MiB of incompressible blobs (a few
 * bytes to 1 MiB each), stored uncompressed in one pack: fetching it is one
 * pack of about that size, for the peak RSS of a large fetch.
 */
export async function largePackRepo(dir: string, mib: number): Promise<string> {
  const bare = path.join(dir, `large-${mib}.git`)
  await git(['init', '-q', '--bare', '-b', 'main', bare])
  await git(['-C', bare, 'config', 'http.receivepack', 'true'])
  const p = spawn('git', ['-C', bare, '-c', 'core.compression=0', '-c', 'pack.compression=0', 'fast-import', '--quiet'], { stdio: ['pipe', 'ignore', 'inherit'] })
  const closed = once(p, 'close')
  const write = async (b: Buffer | string) => {
    if (!p.stdin.write(b)) await once(p.stdin, 'drain')
  }
  const files: string[] = []
  let total = 0
  for (let i = 0; total < mib * 1024 * 1024; i++) {
    const size = i % 7 === 0 ? 1024 * 1024 : Math.floor(((i * 7919) % 1000) ** 2 / 1000) * 1024 + (i % 13)
    await write(`blob\nmark :${i + 1}\ndata ${size}\n`)
    await write(randomBytes(size))
    await write('\n')
    files.push(`M 100644 :${i + 1} blobs/d${i % 10}/f${i}.bin\n`)
    total += size
  }
  const msg = `${mib} MiB of blobs\n`
  await write(`commit refs/heads/main\ncommitter Bench <bench@example.com> 1795600000 +0000\ndata ${Buffer.byteLength(msg)}\n${msg}${files.join('')}\n`)
  p.stdin.end()
  const [code] = await closed
  if (code !== 0) throw new Error(`git fast-import exited ${code}`)
  return bare
}

function git(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, { stdio: 'ignore' })
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')} exited ${code}`))))
  })
}
