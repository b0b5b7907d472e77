/** A build as a policy sees it: the incoming event's values, or what is deployed. */
export interface Candidate {
  readonly tag?: string
  readonly digest?: string
  /** ISO instant the build was made; for what is deployed, known only from history. */
  readonly builtAt?: string
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * A tag policy decides whether a build may be deployed at all, whether it may
 * replace a given value, and orders two builds. Pure; one file each,
 * registered in policies/registry.ts.
 */
export interface Policy {
  /** The spec as written (`semver:^1.4`). */
  readonly spec: string
  accepts(build: Candidate): Verdict
  /**
   * Whether `build` may replace `current` at all (same variant, same followed
   * tag). Absent: always. Asked before ordering, so an incompatible pair is
   * a skip with this reason, never an update.
   */
  compatible?(build: Candidate, current: Candidate): Verdict
  /** >0 when `a` is newer than `b`, <0 when older, 0 when equal, null when the two cannot be ordered. */
  compare(a: Candidate, b: Candidate): number | null
}

export interface PolicyFactory {
  readonly name: string
  /** Builds a policy from the part after `name:` (undefined when there is none). Throws ConfigError. */
  create(argument: string | undefined, spec: string): Policy
}
