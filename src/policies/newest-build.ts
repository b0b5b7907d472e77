import { ConfigError } from '../core/errors.js'
import { compareBuildTimes } from './build-time.js'
import type { PolicyFactory } from './policy.js'

/**
 * Orders builds by when they were built: for services that tag by commit
 * sha, where the tag itself carries no order. A build without `builtAt` is
 * ordered by when it arrived, and a value a human committed by when it was
 * committed (the planner supplies both). A time still unknown cannot be
 * ordered and is left to the other checks.
 */
export const newestBuild: PolicyFactory = {
  name: 'newest-build',
  create(argument, spec) {
    if (argument !== undefined) throw new ConfigError(`policy ${spec}: newest-build takes no argument`, { policy: spec })
    return {
      spec,
      accepts: () => ({ ok: true }),
      usesBuildTime: true,
      compare: compareBuildTimes,
    }
  },
}
