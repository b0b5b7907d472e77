import { ConfigError } from '../core/errors.js'
import { isValidTag } from '../core/image-ref.js'
import { compareBuildTimes } from './build-time.js'
import type { PolicyFactory } from './policy.js'

/**
 * `digest` / `digest:<tag>`: a mutable tag (`latest`, `stable`) followed by
 * digest. Only builds with a digest deploy; a new digest for the followed tag
 * is an update, ordered by build time. `digest` follows the tag the file
 * holds; `digest:stable` names it.
 */
export const digestPolicy: PolicyFactory = {
  name: 'digest',
  create(argument, spec) {
    if (argument !== undefined && !isValidTag(argument)) throw new ConfigError(`policy ${spec}: ${JSON.stringify(argument)} is not a tag`, { policy: spec })
    return {
      spec,
      usesBuildTime: true,
      accepts(build) {
        if (!build.digest) return { ok: false, reason: `the build has no digest (policy ${spec})` }
        if (argument !== undefined && build.tag !== undefined && build.tag !== argument) return { ok: false, reason: `tag ${JSON.stringify(build.tag ?? '')} is not ${argument} (policy ${spec})` }
        return { ok: true }
      },
      compatible(build, current) {
        if (argument !== undefined || current.tag === undefined || build.tag === undefined || build.tag === current.tag) return { ok: true }
        return { ok: false, reason: `${build.tag} is not the followed tag ${current.tag} (policy ${spec})` }
      },
      compare(a, b) {
        if (a.digest !== undefined && a.digest === b.digest) return 0
        return compareBuildTimes(a, b)
      },
    }
  },
}
