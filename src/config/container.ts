import { ConfigError } from '../core/errors.js'

export interface ContainerCheck {
  readonly inContainer: boolean
  /** What said so: INFRA_SYNC_IN_CONTAINER or KUBERNETES_SERVICE_HOST. */
  readonly detectedBy?: string
}

/**
 * Whether this process runs as a deployed container. Our image says so
 * (`INFRA_SYNC_IN_CONTAINER=true` in the Dockerfile) and Kubernetes says so for
 * any image. A `/.dockerenv` file is deliberately not a sign: development
 * containers have one too, and there `npm start` must work with a generated
 * secret. `INFRA_SYNC_IN_CONTAINER=false` overrides the detection.
 */
export function detectContainer(env: Record<string, string | undefined>): ContainerCheck {
  const forced = env.INFRA_SYNC_IN_CONTAINER
  if (forced !== undefined) {
    if (/^(1|true|yes)$/i.test(forced.trim())) return { inContainer: true, detectedBy: 'INFRA_SYNC_IN_CONTAINER' }
    if (/^(0|false|no)$/i.test(forced.trim())) return { inContainer: false }
    throw new ConfigError('INFRA_SYNC_IN_CONTAINER must be true or false', { setting: 'INFRA_SYNC_IN_CONTAINER' })
  }
  if (env.KUBERNETES_SERVICE_HOST !== undefined) return { inContainer: true, detectedBy: 'KUBERNETES_SERVICE_HOST' }
  return { inContainer: false }
}
