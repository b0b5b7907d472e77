import type { AppDeps } from '../../src/http/app.js'
import { GithubTrust } from '../../src/intake/github-trust.js'
import { MemoryRateLimiter } from '../../src/intake/rate-limit.js'
import { buildKeys } from '../../src/intake/secrets.js'
import { Metrics } from '../../src/observability/metrics.js'
import type { IntakeStore } from '../../src/store/repo-stores.js'

/**
 * What buildApp needs when a route test injects requests and uses none of
 * intake: no secrets, no GitHub, no repos, rate limits off, always ready, a
 * store that answers nothing. `over` gives what the test does use.
 */
export function appDeps(over: Partial<AppDeps> = {}): AppDeps {
  return {
    store: {} as IntakeStore,
    keys: () => buildKeys(new Map(), []),
    clock: () => new Date(),
    metrics: new Metrics(false),
    limiter: new MemoryRateLimiter({ perSecond: 0, burst: 1 }, () => Date.now()),
    github: new GithubTrust([], new Map()),
    infraRepos: [],
    onAccepted: () => {},
    readiness: async () => ({ ready: true, checks: {} }),
    ...over,
  }
}
