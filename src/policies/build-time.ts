import type { Candidate } from './policy.js'

/** Orders two builds by when they were built; null when either time is unknown (a value a human set). */
export function compareBuildTimes(a: Candidate, b: Candidate): number | null {
  if (!a.builtAt || !b.builtAt) return null
  return Math.sign(Date.parse(a.builtAt) - Date.parse(b.builtAt))
}
