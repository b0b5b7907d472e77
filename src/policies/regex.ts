import { ConfigError } from '../core/errors.js'
import { compareBuildTimes } from './build-time.js'
import type { Candidate, PolicyFactory } from './policy.js'

/**
 * `regex:<re>`: only tags the expression matches deploy, as Flux's
 * filterTags. With a named group `(?<order>…)` they are ordered by it:
 * numerically when both captures are digits, else alphabetically
 * (`regex:^main-(?<order>\d+)-[0-9a-f]+$`). Without one, by build time.
 */
const MAX_PATTERN = 256

export function compareOrderKeys(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a)
    const y = BigInt(b)
    return x === y ? 0 : x > y ? 1 : -1
  }
  return a === b ? 0 : a > b ? 1 : -1
}

export const regexPolicy: PolicyFactory = {
  name: 'regex',
  create(argument, spec) {
    if (!argument) throw new ConfigError(`policy ${spec}: give a regular expression, e.g. regex:^main-(?<order>\\d+)-[0-9a-f]+$`, { policy: spec })
    if (argument.length > MAX_PATTERN) throw new ConfigError(`policy ${spec}: longer than ${MAX_PATTERN} characters`, { policy: spec })
    let re: RegExp
    try {
      re = new RegExp(argument, 'u')
    } catch (e) {
      throw new ConfigError(`policy ${spec}: not a regular expression (${(e as Error).message})`, { policy: spec })
    }
    const ordered = /\(\?<order>/.test(argument)
    const key = (c: Candidate): string | null => {
      const m = c.tag === undefined ? null : re.exec(c.tag)
      if (!m) return null
      return ordered ? (m.groups?.order ?? null) : ''
    }
    return {
      spec,
      usesBuildTime: !ordered,
      accepts(build) {
        if (key(build) === null) return { ok: false, reason: `tag ${JSON.stringify(build.tag ?? '')} does not match ${argument} (policy ${spec})` }
        return { ok: true }
      },
      compare(a, b) {
        const ka = key(a)
        const kb = key(b)
        // A value outside the scheme (a human's `latest`) cannot be ordered against it: the build moves it onto the scheme.
        if (ka === null || kb === null) return null
        return ordered ? compareOrderKeys(ka, kb) : compareBuildTimes(a, b)
      },
    }
  },
}
