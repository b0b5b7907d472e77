/**
 * A token bucket per source: `burst` events at once, refilled at `perSecond`.
 * Keyed by the source whose secret verified the request, so one noisy
 * pipeline cannot crowd out the others. Pure apart from the clock passed in.
 */
export interface RateLimitOptions {
  readonly perSecond: number
  readonly burst: number
}

interface Bucket {
  tokens: number
  at: number
}

const MAX_BUCKETS = 10_000

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`: 0 when allowed, else the seconds until one is free. */
  take(key: string): number {
    if (this.opts.perSecond <= 0) return 0
    const t = this.now()
    let b = this.buckets.get(key)
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.forgetFull(t)
      b = { tokens: this.opts.burst, at: t }
      this.buckets.set(key, b)
    }
    b.tokens = Math.min(this.opts.burst, b.tokens + ((t - b.at) / 1000) * this.opts.perSecond)
    b.at = t
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond))
  }

  /** A full bucket is the same as no bucket: drop those, so keys seen once do not pile up. */
  private forgetFull(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(k)
  }
}
