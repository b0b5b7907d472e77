import { parseDuration } from '../core/duration.js'
import { ConfigError, InfraSyncError } from '../core/errors.js'

/** `promote:` of an environment, validated: the build must be healthy in `from` for healthyForMs first. */
export interface PromoteConfig {
  readonly from: string
  /** As written (`10m`), for messages. */
  readonly healthyFor: string
  readonly healthyForMs: number
}

export interface RawPromote {
  from: string
  healthyFor?: string
}

/**
 * Checks every environment's `promote` against the service's environments:
 * `from` names another one of them, and following `from` never comes back
 * (dev → prod → dev would wait forever). Returns them by environment name.
 */
export function checkPromotions(file: string, raw: ReadonlyMap<string, RawPromote | undefined>): Map<string, PromoteConfig> {
  const out = new Map<string, PromoteConfig>()
  const fail = (path: string, message: string): never => {
    throw new ConfigError(`${file}: ${message}`, { file, path })
  }
  for (const [env, p] of raw) {
    if (!p) continue
    const at = `environments.${env}.promote`
    const from = p.from.trim()
    if (from === env) fail(`${at}.from`, `${at}.from names ${env} itself`)
    if (!raw.has(from)) fail(`${at}.from`, `${at}.from: ${from} is not an environment of this service (${[...raw.keys()].join(', ')})`)
    let healthyForMs = 0
    // Zero in any unit means "as soon as it is Healthy"; parseDuration refuses zero elsewhere.
    if (p.healthyFor !== undefined && !/^(0+[smhd])+$/.test(p.healthyFor)) {
      try {
        healthyForMs = parseDuration(p.healthyFor, `${at}.healthyFor`)
      } catch (e) {
        if (e instanceof InfraSyncError) fail(`${at}.healthyFor`, e.message)
        throw e
      }
    }
    out.set(env, { from, healthyFor: p.healthyFor ?? '0s', healthyForMs })
  }
  for (const start of out.keys()) {
    const seen = [start]
    for (let at = out.get(start)?.from; at !== undefined; at = out.get(at)?.from) {
      if (at === start) fail(`environments.${start}.promote.from`, `promotion goes round in a circle: ${[...seen, at].join(' → ')}`)
      // A chain that runs into a circle without `start`: that circle is named from one of its own environments.
      if (seen.includes(at)) break
      seen.push(at)
    }
  }
  return out
}

/** The Argo CD Application of an environment: its own `application`, else the ApplicationSet convention. */
export const applicationName = (service: string, environment: string, own?: string) => own ?? `${service}-${environment}`
