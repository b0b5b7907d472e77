import path from 'node:path'
import type { RepoConfig } from '../config/config.js'
import type { Logger } from '../core/logger.js'
import type { CredentialsProvider } from '../forges/forge.js'
import { CliRemote } from './cli-remote.js'
import { HttpRemote } from './http-remote.js'
import { LocalRemote } from './local-remote.js'
import type { Remote } from './remote.js'

export interface OpenRemoteOptions {
  readonly log?: Logger
  readonly failpoint?: (name: string) => void
  /** For http(s): the forge's credentials, asked before every exchange (a GitHub App's token is refreshed). */
  readonly credentials?: CredentialsProvider
}

/**
 * The remote for a configured repo: a clone under `<data>/repos` for a URL
 * (fetched by the git binary for SSH or when the cli transport is chosen),
 * the repository itself for a path.
 */
export function openRemote(repo: RepoConfig, dataDir: string, opts: OpenRemoteOptions = {}): Remote {
  if (repo.kind === 'ssh' || (repo.kind === 'http' && repo.transport === 'cli')) {
    return new CliRemote({
      url: repo.location,
      branch: repo.branch,
      clonesDir: path.join(dataDir, 'repos'),
      ...(repo.token && { token: repo.token }),
      ...(repo.username && { username: repo.username }),
      ...(repo.ssh && { ssh: repo.ssh }),
      ...(opts.credentials && { credentials: opts.credentials }),
    })
  }
  return repo.kind === 'http'
    ? new HttpRemote({
        url: repo.location,
        branch: repo.branch,
        clonesDir: path.join(dataDir, 'repos'),
        ...(repo.token && { token: repo.token }),
        ...(repo.username && { username: repo.username }),
        ...(opts.credentials && { credentials: opts.credentials }),
      })
    : new LocalRemote(repo.location, repo.branch, opts)
}
