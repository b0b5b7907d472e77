import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'

export interface GitDaemon {
  /** git://127.0.0.1:<port>/<name of the repo under the base path> */
  url(bareRepo: string): string
  close(): Promise<void>
}

/** A port nobody listens on now (the OS's pick, then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as net.AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** Resolves once something accepts connections on the port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1')
      c.once('connect', () => {
        c.destroy()
        r(true)
      })
      c.once('error', () => r(false))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The real `git daemon` serving every repository under `baseDir`, pushes allowed. */
export async function startGitDaemon(baseDir: string): Promise<GitDaemon> {
  const port = await freePort()
  const child = spawn('git', ['daemon', '--reuseaddr', `--base-path=${baseDir}`, '--export-all', '--enable=receive-pack', `--port=${port}`, '--listen=127.0.0.1', baseDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  try {
    await Promise.race([waitForPort(port), exited.then(() => Promise.reject(new Error(`git daemon exited: ${stderr}`)))])
  } catch (e) {
    child.kill()
    throw e
  }
  return {
    url: (bareRepo) => `git://127.0.0.1:${port}/${path.relative(baseDir, bareRepo)}`,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill()
        await exited
      }
    },
  }
}
