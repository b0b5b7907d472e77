import { ConfigError } from '../core/errors.js'
import { compareBuildTimes } from './build-time.js'
import type { PolicyFactory } from './policy.js'

/**
 * Orders builds by when they were built: for services that tag by commit
 * sha, where the tag itself carries no order. A build whose time is unknown
 * cannot be ordered and is left to the other checks.
 */
export const newestBuild: PolicyFactory = {
  name: 'newest-build',
  create(argument, spec) {
    if (argument !== undefined) throw new ConfigError(`policy ${spec}: newest-build takes no argument`, { policy: spec })
    return {
      spec,
      accepts: () => ({ ok: true }),
      compare: compareBuildTimes,
    }
  },
}
