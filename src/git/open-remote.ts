import path from 'node:path'
import type { RepoConfig } from '../config/config.js'
import type { Logger } from '../core/logger.js'
import { HttpRemote } from './http-remote.js'
import { LocalRemote } from './local-remote.js'
import type { Remote } from './remote.js'

/** The remote for a configured repo: a clone under `<data>/repos` for http(s), the repository itself for a path. */
export function openRemote(repo: RepoConfig, dataDir: string, opts: { readonly log?: Logger; readonly failpoint?: (name: string) => void } = {}): Remote {
  return repo.kind === 'http'
    ? new HttpRemote({
        url: repo.location,
        branch: repo.branch,
        clonesDir: path.join(dataDir, 'repos'),
        ...(repo.token && { token: repo.token }),
        ...(repo.username && { username: repo.username }),
      })
    : new LocalRemote(repo.location, repo.branch, opts)
}
