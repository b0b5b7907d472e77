import semver from 'semver'
import { ConfigError } from '../core/errors.js'
import type { Candidate, PolicyFactory } from './policy.js'
import { describeVariant, parseVersionTag } from './version-tag.js'

/** The version of a tag, for callers that only need the numbers (the start-up example). */
export function tagVersion(tag: string | undefined): semver.SemVer | null {
  return parseVersionTag(tag)?.version ?? null
}

/**
 * Semantic versions, optionally limited by a range (`semver:^1.4`,
 * `semver:>=2.0.0 <3`). Prereleases pass only where the range names them, as
 * npm's semver does. Tags are read loosely (see version-tag.ts), and a build
 * replaces only a value of the same variant (`-alpine` for `-alpine`).
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
    const parse = (c: Candidate) => parseVersionTag(c.tag)
    return {
      spec,
      accepts(build) {
        const v = parse(build)
        if (!v) return { ok: false, reason: `tag ${JSON.stringify(build.tag ?? '')} is not a version (policy ${spec})` }
        if (range && !range.test(v.version)) return { ok: false, reason: `${build.tag} is outside ${range.raw} (policy ${spec})` }
        return { ok: true }
      },
      compatible(build, current) {
        const a = parse(build)
        const b = parse(current)
        if (!a || !b || a.variant === b.variant) return { ok: true }
        return { ok: false, reason: `${build.tag} (${describeVariant(a.variant)}) does not replace ${current.tag} (${describeVariant(b.variant)})` }
      },
      compare(a, b) {
        const va = parse(a)
        const vb = parse(b)
        if (!va || !vb || va.variant !== vb.variant) return null
        return semver.compare(va.version, vb.version)
      },
    }
  },
}
