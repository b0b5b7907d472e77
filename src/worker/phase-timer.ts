import { performance } from 'node:perf_hooks'

/** Milliseconds spent per phase of a batch, for the commit log line: where the time of a deploy goes. */
export function phaseTimer(): { mark(phase: string): void; result(): Record<string, number> } {
  const out: Record<string, number> = {}
  let last = performance.now()
  return {
    mark(phase) {
      const now = performance.now()
      out[phase] = Math.round(((out[phase] ?? 0) + now - last) * 10) / 10
      last = now
    },
    result: () => out,
  }
}
