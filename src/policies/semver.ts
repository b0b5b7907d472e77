import semver from 'semver'
import { ConfigError } from '../core/errors.js'
import type { Candidate, PolicyFactory } from './policy.js'
import { describeVariant, parseVersionTag } from './version-tag.js'

/** The version of a tag, for callers that only need the numbers (the start-up example). */
export function tagVersion(tag: string | undefined): semver.SemVer | null {
  return parseVersionTag(tag)?.version ?? null
}

const sameRelease = (a: semver.SemVer, b: semver.SemVer) => a.major === b.major && a.minor === b.minor && a.patch === b.patch

/**
 * Semantic versions, optionally limited by a range (`semver:^1.4`,
 * `semver:>=2.0.0 <3`). With a range, prereleases pass only where the range
 * names them, as npm's semver does. Without one, a prerelease passes only
 * over a prerelease of the same major.minor.patch (Renovate's
 * `ignoreUnstable`): a stable environment stays on stable versions. Tags are
 * read loosely (see version-tag.ts), and a build replaces only a value of
 * the same variant (`-alpine` for `-alpine`).
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
      usesBuildTime: false,
      accepts(build, current) {
        const v = parse(build)
        if (!v) return { ok: false, reason: `tag ${JSON.stringify(build.tag ?? '')} is not a version (policy ${spec})` }
        if (range) return range.test(v.version) ? { ok: true } : { ok: false, reason: `${build.tag} is outside ${range.raw} (policy ${spec})` }
        if (v.version.prerelease.length === 0) return { ok: true }
        const c = current ? parse(current) : null
        if (c && c.version.prerelease.length > 0 && sameRelease(c.version, v.version)) return { ok: true }
        const over = !c ? 'nothing that is a version' : c.version.prerelease.length === 0 ? `the stable ${current!.tag}` : `${current!.tag}, a prerelease of another version`
        return { ok: false, code: 'prerelease', reason: `${build.tag} is a prerelease and the file holds ${over}; policy ${spec} takes a prerelease only over one of the same version (name prereleases in a range to deploy them)` }
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
