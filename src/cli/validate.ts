import fs from 'node:fs'
import path from 'node:path'
import { InfraSyncError } from '../core/errors.js'
import { formatFinding, validLine, type Finding } from '../validate/finding.js'
import { FsTree } from '../validate/fs-tree.js'
import { validateCheckout } from '../validate/validate-checkout.js'
import { watchCheckout } from '../validate/watch.js'

export interface ValidateIo {
  out(s: string): void
  err(s: string): void
}

export interface ValidateOptions {
  readonly watch?: boolean
  readonly json?: boolean
  /** Stops `--watch` (the CLI passes one aborted by SIGINT or SIGTERM). */
  readonly signal?: AbortSignal
}

const json = (f: Finding) => ({ file: f.file, line: f.line, column: f.column, code: f.code, message: f.message })

/**
 * `infra-sync validate [DIR] [--watch] [--json]`: checks a working copy of an
 * infra repo (default: the current directory). Exit 0 valid, 1 findings, 2
 * no such directory. With --watch it runs until stopped and exits as its
 * last check would; with --json too, each new finding is one JSON object per
 * line and the valid line is `{"valid":true,"services":N}`.
 */
export async function validateCommand(dir: string | undefined, opts: ValidateOptions, io: ValidateIo): Promise<number> {
  const root = path.resolve(dir ?? '.')
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    io.err(`infra-sync: ${dir ?? '.'}: no such directory [USAGE]\n`)
    return 2
  }
  if (opts.watch) return watchCommand(root, opts, io)
  let result
  try {
    result = await validateCheckout(new FsTree(root))
  } catch (e) {
    if (!(e instanceof InfraSyncError)) throw e
    io.err(`infra-sync: ${e.message} [${e.code}]\n`)
    return 1
  }
  if (opts.json) io.out(`${JSON.stringify(result.findings.map(json), null, 2)}\n`)
  else io.out(result.findings.length === 0 ? `${validLine(result.services)}\n` : result.findings.map((f) => `${formatFinding(f)}\n`).join(''))
  return result.findings.length === 0 ? 0 : 1
}

async function watchCommand(root: string, opts: ValidateOptions, io: ValidateIo): Promise<number> {
  let signal = opts.signal
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  if (!signal) {
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    signal = stop.signal
  }
  try {
    const last = await watchCheckout(
      root,
      {
        finding: (f) => io.out(opts.json ? `${JSON.stringify(json(f))}\n` : `${formatFinding(f)}\n`),
        valid: (n) => io.out(opts.json ? `${JSON.stringify({ valid: true, services: n })}\n` : `${validLine(n)}\n`),
        error: (e) => io.err(`infra-sync: ${e instanceof InfraSyncError ? `${e.message} [${e.code}]` : String((e as Error)?.message ?? e)}\n`),
      },
      { signal },
    )
    return last && last.findings.length === 0 ? 0 : 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
