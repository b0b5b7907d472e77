import fs from 'node:fs'
import { ConfigError } from '../core/errors.js'

export interface ContainerCheck {
  readonly inContainer: boolean
  /** What said so: INFRA_SYNC_IN_CONTAINER, KUBERNETES_SERVICE_HOST or the marker file. */
  readonly detectedBy?: string
}

export const DOCKER_MARKER = '/.dockerenv'

/**
 * Whether this process runs in a container. `INFRA_SYNC_IN_CONTAINER`
 * (true/false) overrides the detection: for tests, and for a development
 * container where the generated secret is wanted.
 */
export function detectContainer(env: Record<string, string | undefined>, marker = DOCKER_MARKER): ContainerCheck {
  const forced = env.INFRA_SYNC_IN_CONTAINER
  if (forced !== undefined) {
    if (/^(1|true|yes)$/i.test(forced.trim())) return { inContainer: true, detectedBy: 'INFRA_SYNC_IN_CONTAINER' }
    if (/^(0|false|no)$/i.test(forced.trim())) return { inContainer: false }
    throw new ConfigError('INFRA_SYNC_IN_CONTAINER must be true or false', { setting: 'INFRA_SYNC_IN_CONTAINER' })
  }
  if (env.KUBERNETES_SERVICE_HOST !== undefined) return { inContainer: true, detectedBy: 'KUBERNETES_SERVICE_HOST' }
  if (fs.existsSync(marker)) return { inContainer: true, detectedBy: marker }
  return { inContainer: false }
}
