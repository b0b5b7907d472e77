import type { ForgeConfig } from '../config/config.js'
import type { Logger } from '../core/logger.js'
import { openGitHub, type ForgeTuning, type OpenedForge } from './github.js'

export type { ForgeTuning, OpenedForge } from './github.js'

type Opener = (config: ForgeConfig, log: Logger, tuning?: ForgeTuning) => OpenedForge

/** One line per forge: GitLab or Gitea is one more file and one more line here. */
const FORGES: Record<ForgeConfig['kind'], Opener> = {
  github: openGitHub,
}

/** The forge that hosts the infra repository, and the credentials git uses to reach it (refreshed as the forge's are). */
export function openForge(config: ForgeConfig, log: Logger, tuning?: ForgeTuning): OpenedForge {
  return FORGES[config.kind](config, log, tuning)
}
