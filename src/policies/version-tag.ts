import semver from 'semver'

/**
 * A tag read as a version the way image tags are written in practice, which
 * is looser than SemVer: a `v` prefix, one to three numeric parts (`1.10`
 * is 1.10.0), leading zeros (`2024.01.05`), and a suffix that is either a
 * prerelease (`-rc.10`, `-beta2`) or a variant (`-alpine`, `-slim-bookworm`).
 * Variants follow Renovate's Docker versioning: `1.2.4-alpine` replaces
 * `1.2.3-alpine`, never `1.2.3`, and the reverse.
 */
export interface VersionTag {
  /** The numeric parts and prerelease, normalised, for ordering and ranges. */
  readonly version: semver.SemVer
  /** '' when the tag has no variant suffix. */
  readonly variant: string
}

const TAG = /^[vV]?(\d{1,15})(?:\.(\d{1,15}))?(?:\.(\d{1,15}))?(?:-([0-9A-Za-z][0-9A-Za-z.-]*))?(?:\+[0-9A-Za-z.-]+)?$/
// First suffix identifiers that make it a prerelease rather than a variant.
const PRERELEASE = /^(?:\d+|(?:alpha|beta|rc|pre|preview|dev|snapshot|canary|next|nightly|milestone|m|a|b)\d*)$/i

export function parseVersionTag(tag: string | undefined): VersionTag | null {
  if (!tag) return null
  const m = TAG.exec(tag)
  if (!m) return null
  const nums = [m[1], m[2] ?? '0', m[3] ?? '0'].map((n) => Number(n))
  if (nums.some((n) => !Number.isSafeInteger(n))) return null
  const suffix = m[4]
  const first = suffix?.split(/[.-]/)[0] ?? ''
  const prerelease = suffix !== undefined && PRERELEASE.test(first) ? suffix : undefined
  const variant = suffix !== undefined && prerelease === undefined ? suffix : ''
  // `beta10` is read as `beta.10`, so it sorts after `beta2` as people mean it (SemVer alone compares the strings).
  const pre = prerelease?.replace(/(^|\.)([A-Za-z]+)(\d+)(?=\.|$)/g, '$1$2.$3')
  const version = semver.parse(`${nums.join('.')}${pre ? `-${pre}` : ''}`)
  return version ? { version, variant } : null
}

/** The variant suffix written for messages: `-alpine`, or `no variant`. */
export function describeVariant(variant: string): string {
  return variant === '' ? 'no variant' : `-${variant}`
}
