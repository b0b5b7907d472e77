/** A build as a policy sees it: the incoming event's values, or what is deployed. */
export interface Candidate {
  readonly tag?: string
  readonly digest?: string
  /** ISO instant the build was made; for what is deployed, known only from history. */
  readonly builtAt?: string
}

/** A refusal may name a decision code more precise than `policy-filtered` (`prerelease`). */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly code?: string }

/**
 * A tag policy decides whether a build may be deployed at all, whether it may
 * replace a given value, and orders two builds. Pure; one file each,
 * registered in policies/registry.ts.
 */
export interface Policy {
  /** The spec as written (`semver:^1.4`). */
  readonly spec: string
  /**
   * Whether `build` may be deployed at all; `current` is the value in the
   * file (null or absent when there is none), for filters that depend on it.
   */
  accepts(build: Candidate, current?: Candidate | null): Verdict
  /**
   * Whether `compare` orders by `builtAt`: then a value a human set needs the
   * time it was committed, which the worker looks up in git history.
   */
  readonly usesBuildTime: boolean
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
