import fs from 'node:fs/promises'
import path from 'node:path'
import { watch } from 'chokidar'
import { findingKey, type Finding } from './finding.js'
import { FsTree } from './fs-tree.js'
import { validateCheckout, type CheckoutResult, type CheckoutState } from './validate-checkout.js'

export interface WatchOutput {
  /** A finding not printed in the previous check. */
  finding(f: Finding): void
  /** Every finding is fixed (or there never was one): the checkout is valid. */
  valid(services: number): void
  /** A check that could not run (not a finding: the next save tries again). */
  error(e: unknown): void
}

export interface WatchOptions {
  /** Quiet time after the last change before checking: one save is often several events. */
  readonly debounceMs?: number
  /** Stops watching; watchCheckout then resolves with the last result. */
  readonly signal?: AbortSignal
}

/**
 * chokidar drops a file's change events for 50 ms after it reports one, with
 * no trailing event: a second save within that time would never be checked.
 * So a reported change is looked at again once the window has passed.
 */
const CHOKIDAR_CHANGE_WINDOW_MS = 50

/** Folders whose changes never matter to a check (and would cost a watch each). */
const IGNORED = new Set(['.git', 'node_modules', 'dist'])

/**
 * Checks the checkout at `root`, then again after every change, printing only
 * what is new since the previous check and the valid line each time the last
 * finding goes. Only the folders under a changed path are read again
 * (FsTree.invalidate), so a save in one service folder re-checks that
 * folder, and the rules across folders run over what is remembered.
 */
export async function watchCheckout(root: string, out: WatchOutput, options: WatchOptions = {}): Promise<CheckoutResult | null> {
  const tree = new FsTree(root)
  const watcher = watch(root, {
    ignoreInitial: true,
    ignored: (p: string) => IGNORED.has(path.basename(p)),
  })
  await new Promise<void>((resolve, reject) => {
    watcher.once('ready', resolve)
    watcher.once('error', reject)
  })
  let last: CheckoutResult | null = null
  let shown = new Set<string>()
  let wasValid = false
  const pending = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | null = null
  let again = false

  const check = async () => {
    for (const p of pending) tree.invalidate(p)
    pending.clear()
    try {
      const state: CheckoutState | undefined = last?.state
      last = await validateCheckout(tree, state)
    } catch (e) {
      out.error(e)
      return
    }
    const next = new Set<string>()
    for (const f of last.findings) {
      const key = findingKey(f)
      next.add(key)
      if (!shown.has(key)) out.finding(f)
    }
    shown = next
    const valid = last.findings.length === 0
    if (valid && !wasValid) out.valid(last.services)
    wasValid = valid
  }
  // One check at a time; changes during a check start one more after it.
  const run = () => {
    if (running) {
      again = true
      return
    }
    running = check().finally(() => {
      running = null
      if (again || pending.size > 0) {
        again = false
        run()
      }
    })
  }

  let closed = false
  const changed = (abs: string) => {
    const rel = path.relative(root, abs).split(path.sep).join('/')
    if (rel.startsWith('..') || closed) return
    pending.add(rel)
    clearTimeout(timer)
    timer = setTimeout(run, options.debounceMs ?? 20)
  }
  const lookAgain = (abs: string, seen: { mtimeMs: number; size: number }) => {
    setTimeout(() => {
      if (closed) return
      fs.stat(abs).then(
        (st) => (st.mtimeMs !== seen.mtimeMs || st.size !== seen.size ? changed(abs) : undefined),
        () => undefined,
      )
    }, CHOKIDAR_CHANGE_WINDOW_MS + 10).unref()
  }
  watcher.on('all', (event, abs: string, stats?: { mtimeMs: number; size: number }) => {
    changed(abs)
    if (event === 'change' && stats) lookAgain(abs, stats)
  })
  watcher.on('error', (e) => out.error(e))
  run()

  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) return resolve()
    options.signal?.addEventListener('abort', () => resolve(), { once: true })
  })
  closed = true
  clearTimeout(timer)
  await watcher.close()
  await running
  return last
}
