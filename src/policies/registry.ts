import { ConfigError } from '../core/errors.js'
import { digestPolicy } from './digest.js'
import { newestBuild } from './newest-build.js'
import type { Policy, PolicyFactory } from './policy.js'
import { regexPolicy } from './regex.js'
import { semverPolicy } from './semver.js'

/** Every tag policy. A new policy is one file and one line here. */
export const POLICIES: readonly PolicyFactory[] = [newestBuild, semverPolicy, regexPolicy, digestPolicy]

export const DEFAULT_POLICY = 'newest-build'

/** Parses `name` or `name:argument` into a policy. Throws ConfigError. */
export function parsePolicy(spec: string): Policy {
  const colon = spec.indexOf(':')
  const name = colon < 0 ? spec : spec.slice(0, colon)
  const argument = colon < 0 ? undefined : spec.slice(colon + 1)
  const factory = POLICIES.find((p) => p.name === name)
  if (!factory) throw new ConfigError(`unknown policy ${JSON.stringify(spec)}; known: ${POLICIES.map((p) => p.name).join(', ')}`, { policy: spec })
  return factory.create(argument, spec)
}
