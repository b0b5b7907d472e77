import { ScaffoldError } from './scaffold-errors.js'

/** Kubernetes' DNS-1123 label: what Argo CD Application names and namespaces must be. */
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/
const MAX_LABEL = 63

export const isDnsLabel = (s: string) => s.length <= MAX_LABEL && DNS_LABEL.test(s)

/**
 * The ApplicationSet names each Application (and its namespace)
 * `<service>-<environment>`: a service name is refused unless that is a valid
 * label for every environment, so the folder never renders an Application
 * Argo CD rejects.
 */
export function checkNames(service: string, environments: readonly string[]): void {
  if (!isDnsLabel(service)) {
    throw new ScaffoldError('SERVICE_NAME_INVALID', `${JSON.stringify(service)} is not a valid service name: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${MAX_LABEL} characters`, { service })
  }
  for (const env of environments) {
    if (!isDnsLabel(env)) {
      throw new ScaffoldError('ENVIRONMENT_INVALID', `environment ${JSON.stringify(env)} is not a DNS-1123 label (lowercase letters, digits and '-', at most ${MAX_LABEL} characters)`, { environment: env })
    }
    const app = `${service}-${env}`
    if (app.length > MAX_LABEL) {
      throw new ScaffoldError('SERVICE_NAME_INVALID', `the Application name ${app} would be longer than ${MAX_LABEL} characters: choose a shorter service name`, { service, environment: env, application: app })
    }
  }
}

/**
 * Environments that ship to users, by name: `prod`, `production`, `prd`,
 * `live`, alone or as one part of a name (`prod-eu`, `eu-production`). A new
 * one of these takes the template's production settings (update mode,
 * policy), so it is reviewed as the template's prod is.
 */
export function isProdLike(env: string): boolean {
  return env.split('-').some((p) => p === 'prod' || p === 'production' || p === 'prd' || p === 'live')
}
