/**
 * A token bucket per source: `burst` events at once, refilled at `perSecond`.
 * Keyed by the source whose secret verified the request, so one noisy
 * pipeline cannot crowd out the others.
 *
 * Two kinds: this process's own buckets (MemoryRateLimiter, for SQLite's one
 * process and for tests), and the store's, which every replica on one
 * database shares (`Store.rateLimiter`, src/store/postgres-rate-limit.ts), so
 * a load balancer spreading a source over three replicas does not triple its limit.
 */
export interface RateLimitOptions {
  readonly perSecond: number
  readonly burst: number
}

export interface RateLimiter {
  /** Takes one token for `key`: 0 when allowed, else the whole seconds until one is free (at least 1). */
  take(key: string): Promise<number>
}

/** The seconds a caller is told to wait for a bucket holding `tokens` (< 1): whole seconds, so Retry-After is an integer. */
export const waitSeconds = (tokens: number, perSecond: number): number => Math.max(1, Math.ceil((1 - tokens) / perSecond))

interface Bucket {
  tokens: number
  at: number
}

const MAX_BUCKETS = 10_000

/** One process's buckets. Pure apart from the clock passed in. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async take(key: string): Promise<number> {
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
    return waitSeconds(b.tokens, this.opts.perSecond)
  }

  /** A full bucket is the same as no bucket: drop those, so keys seen once do not pile up. */
  private forgetFull(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(k)
  }
}
