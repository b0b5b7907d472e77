import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

// INFRA_SYNC_TEST_CLI: a private build's cli.js, for running these tests while the shared tree does not compile.
export const CLI = process.env.INFRA_SYNC_TEST_CLI ? path.resolve(process.env.INFRA_SYNC_TEST_CLI) : path.resolve(import.meta.dirname, '..', '..', 'dist', 'cli.js')

export interface ChildServer {
  readonly proc: ChildProcess
  readonly url: string
  readonly output: () => string
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>
  /** SIGTERM, and wait for a clean exit. */
  stop(): Promise<number | null>
}

/** Runs `node dist/cli.js serve` as CI and the Dockerfile do, on a free port; resolves once it listens. */
export async function spawnServer(cwd: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<ChildServer> {
  const proc = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000)
    const check = () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    proc.stdout!.on('data', check)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`server exited before listening:\n${out}`))
    })
  })
  return {
    proc,
    url,
    output: () => out,
    async kill9() {
      proc.kill('SIGKILL')
      await exited
    },
    async stop() {
      proc.kill('SIGTERM')
      return exited
    },
  }
}
