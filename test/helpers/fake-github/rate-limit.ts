/**
 * GitHub's secondary rate limit, made deterministic: fixed windows of `windowMs` from the fake's start; the
 * requests past `requests` in one window are refused (they do not count). No randomness: the schedule is the rule.
 */
export class SecondaryRateLimit {
  private window = -1
  private count = 0

  constructor(
    private readonly limit: { requests: number; windowMs: number } | undefined,
    private readonly start: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this request may go on. */
  admit(): boolean {
    if (!this.limit) return true
    const w = Math.floor((this.now() - this.start) / this.limit.windowMs)
    if (w !== this.window) {
      this.window = w
      this.count = 0
    }
    if (this.count >= this.limit.requests) return false
    this.count++
    return true
  }
}

export const SECONDARY_RATE_LIMIT_BODY = {
  message:
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE:0000:0000000:0000000:00000000.',
  documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
}

/** The primary limit's headers, sent on every answer; the fake never spends it. */
export function primaryHeaders(used: number, now: number): Record<string, string> {
  return {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(Math.max(1, 5000 - used)),
    'x-ratelimit-used': String(Math.min(used, 4999)),
    'x-ratelimit-reset': String(Math.floor(now / 1000) + 3600),
    'x-ratelimit-resource': 'core',
  }
}
