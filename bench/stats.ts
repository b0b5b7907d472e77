import fs from 'node:fs'

/** Percentile by nearest rank on a copy; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export const median = (v: readonly number[]) => percentile(v, 50)

export function ms(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return 'n/a'
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(digits)} ms`
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`
}

/** Peak resident set size of a process, from /proc (Linux). */
export function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

/** A quantile (ms) from the difference of two cumulative Prometheus histograms (seconds), interpolated within its bucket. */
export function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0))
  const total = counts[counts.length - 1] ?? 0
  if (total === 0) return NaN
  const rank = q * total
  let prevBound = 0
  let prevCount = 0
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= rank) {
      const upper = bounds[i] === Infinity ? prevBound : bounds[i]!
      const inBucket = counts[i]! - prevCount
      return 1000 * (prevBound + (inBucket === 0 ? 0 : ((rank - prevCount) / inBucket) * (upper - prevBound)))
    }
    prevBound = bounds[i]!
    prevCount = counts[i]!
  }
  return NaN
}
