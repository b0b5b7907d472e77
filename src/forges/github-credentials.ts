import { createPrivateKey } from 'node:crypto'
import { createAppAuth } from '@octokit/auth-app'
import type { ForgeConfig } from '../config/config.js'
import { ConfigError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { CredentialsProvider } from './forge.js'
import type { GitHubRequest, OctokitAuth } from './github-client.js'
import { hasStatus, toForgeError } from './github-errors.js'

/** One identity for git and the API: both ask it before each exchange, so a refreshed token serves both. */
export interface GitHubAuth {
  readonly octokit: OctokitAuth
  readonly credentials: CredentialsProvider
}

type AppAuthConfig = Extract<ForgeConfig['auth'], { kind: 'app' }>

export interface GitHubAuthOptions {
  /** A bare request against the API (githubRequest): GHES needs the token minted on its own host. */
  readonly request: GitHubRequest
  readonly log: Logger
  readonly owner: string
  readonly repo: string
  readonly now?: () => number
}

/** GitHub App keys are RSA PEM; env files often carry them with literal \n. */
function checkedPrivateKey(text: string): string {
  const pem = !text.includes('\n') && text.includes('\\n') ? text.replace(/\\n/g, '\n') : text
  let type: string | undefined
  try {
    if (!pem.includes('-----BEGIN')) throw new Error('not PEM')
    type = createPrivateKey(pem).asymmetricKeyType
  } catch {
    // Never the key's text in the message.
    throw new ConfigError('the GitHub App private key is not a PEM private key (INFRA_SYNC_GITHUB_APP_PRIVATE_KEY)', { setting: 'INFRA_SYNC_GITHUB_APP_PRIVATE_KEY' })
  }
  if (type !== 'rsa') throw new ConfigError(`the GitHub App private key is a ${type ?? 'non-RSA'} key; GitHub App keys are RSA`, { setting: 'INFRA_SYNC_GITHUB_APP_PRIVATE_KEY' })
  return pem
}

interface Minted {
  readonly token: string
  /** Our clock: when to mint the next one, ahead of GitHub's expiry. */
  readonly renewAt: number
}

/**
 * Installation tokens, minted once and again before they expire (within
 * min(5 min, a quarter of their life) of it), one mint at a time. auth-app's
 * own cache keeps tokens a fixed 59 minutes whatever their expiry, so every
 * mint here asks it for a fresh one.
 */
class InstallationTokens {
  private current: Minted | undefined
  private pending: Promise<Minted> | undefined
  private installationId: number | undefined
  private readonly appAuth: ReturnType<typeof createAppAuth>

  constructor(
    auth: AppAuthConfig,
    private readonly opts: GitHubAuthOptions,
  ) {
    this.installationId = auth.installationId
    this.appAuth = createAppAuth({ appId: auth.appId, privateKey: checkedPrivateKey(auth.privateKey), request: opts.request, log: { warn: (m: string) => opts.log.warn({ component: 'github-app' }, m) } })
  }

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }

  async token(): Promise<string> {
    if (this.current && this.now() < this.current.renewAt) return this.current.token
    this.pending ??= this.mint().finally(() => {
      this.pending = undefined
    })
    return (await this.pending).token
  }

  /** The API said 401 to `token`: mint anew unless another call did already. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined
  }

  private async mint(): Promise<Minted> {
    try {
      const installationId = this.installationId ?? (await this.findInstallation())
      const startedAt = this.now()
      const minted = await this.appAuth({ type: 'installation', installationId, refresh: true })
      const expiresAt = Date.parse(minted.expiresAt)
      const life = Number.isFinite(expiresAt) ? Math.max(0, expiresAt - startedAt) : 60 * 60_000
      this.current = { token: minted.token, renewAt: startedAt + life - Math.min(5 * 60_000, life / 4) }
      this.opts.log.info({ installationId, expiresAt: minted.expiresAt }, 'GitHub App installation token minted')
      return this.current
    } catch (e) {
      throw toForgeError('installation token', e)
    }
  }

  /** No installation id configured: the app's installation on the infra repository. */
  private async findInstallation(): Promise<number> {
    const { token: jwt } = await this.appAuth({ type: 'app' })
    const { owner, repo } = this.opts
    const { data } = await this.opts.request('GET /repos/{owner}/{repo}/installation', { owner, repo, headers: { authorization: `bearer ${jwt}` } })
    this.installationId = data.id
    this.opts.log.info({ installationId: data.id, repository: `${owner}/${repo}` }, 'GitHub App installation found')
    return data.id
  }
}

type HookRequest = GitHubRequest & { endpoint: GitHubRequest['endpoint'] }

/** An octokit auth strategy that puts the current installation token on each request (retries included). */
function installationStrategy(tokens: InstallationTokens) {
  return () => {
    const hook = async (request: HookRequest, route: string, parameters?: Record<string, unknown>) => {
      const send = async () => {
        const token = await tokens.token()
        const endpoint = request.endpoint.merge(route, parameters ?? {})
        endpoint.headers.authorization = `token ${token}`
        try {
          return await request(endpoint as typeof endpoint & { url: string })
        } catch (e) {
          if (hasStatus(e, 401)) tokens.invalidate(token)
          throw e
        }
      }
      try {
        return await send()
      } catch (e) {
        // Revoked or expired early: one new token, once.
        if (!hasStatus(e, 401)) throw e
        return send()
      }
    }
    const auth = async () => ({ type: 'token', tokenType: 'installation', token: await tokens.token() })
    return Object.assign(auth, { hook })
  }
}

/** The credentials for ForgeConfig.auth: a fixed token, or a GitHub App's installation tokens. A bad private key is a ConfigError now. */
export function createGitHubAuth(config: ForgeConfig, opts: GitHubAuthOptions): GitHubAuth {
  const auth = config.auth
  if (auth.kind === 'token') {
    const credentials = { username: 'x-access-token', password: auth.token }
    return { octokit: { auth: auth.token }, credentials: async () => credentials }
  }
  const tokens = new InstallationTokens(auth, opts)
  return {
    octokit: { authStrategy: installationStrategy(tokens) },
    credentials: async () => ({ username: 'x-access-token', password: await tokens.token() }),
  }
}
