import semver from 'semver'
import { ConfigError } from '../core/errors.js'
import type { Candidate, PolicyFactory } from './policy.js'

/** `1.2.3` or `v1.2.3` (with prerelease and build parts) as a SemVer, else null. */
export function tagVersion(tag: string | undefined): semver.SemVer | null {
  if (!tag) return null
  const t = tag.startsWith('v') || tag.startsWith('V') ? tag.slice(1) : tag
  return semver.parse(t)
}

/**
 * Semantic versions, optionally limited by a range (`semver:^1.4`,
 * `semver:>=2.0.0 <3`). Prereleases pass only where the range names them,
 * as npm's semver does.
 */
export const semverPolicy: PolicyFactory = {
  name: 'semver',
  create(argument, spec) {
    let range: semver.Range | undefined
    if (argument !== undefined) {
      try {
        range = new semver.Range(argument)
      } catch {
        throw new ConfigError(`policy ${spec}: ${JSON.stringify(argument)} is not a semver range`, { policy: spec })
      }
    }
    const version = (c: Candidate) => tagVersion(c.tag)
    return {
      spec,
      accepts(build) {
        const v = version(build)
        if (!v) return { ok: false, reason: `tag ${JSON.stringify(build.tag ?? '')} is not a semantic version (policy ${spec})` }
        if (range && !range.test(v)) return { ok: false, reason: `${build.tag} is outside ${range.raw} (policy ${spec})` }
        return { ok: true }
      },
      compare(a, b) {
        const va = version(a)
        const vb = version(b)
        if (!va || !vb) return null
        return semver.compare(va, vb)
      },
    }
  },
}
