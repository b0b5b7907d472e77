import { InfraSyncError } from '../core/errors.js'
import type { ApplicationStatus } from './health-verdict.js'

/** Argo CD's API failed or refused; retryable for the network, 5xx and 429, final for 401/403/404. */
export class ArgoCdError extends InfraSyncError {
  constructor(code: 'ARGOCD_UNAVAILABLE' | 'ARGOCD_AUTH' | 'ARGOCD_NOT_FOUND' | 'ARGOCD_NOT_CONFIGURED', message: string, data: { readonly application: string; readonly status?: number }) {
    super(code, message, { data, retryable: code === 'ARGOCD_UNAVAILABLE' })
  }
}

export interface ArgoCdClientOptions {
  /** INFRA_SYNC_ARGOCD_URL: the API server's base URL. */
  readonly url: string
  /** INFRA_SYNC_ARGOCD_TOKEN: a bearer token (an account's or a project role's) allowed to get applications. */
  readonly token: string
  readonly timeoutMs?: number
  readonly fetch?: typeof fetch
}

/**
 * Reads Applications from Argo CD's API: GET /api/v1/applications/{name}.
 * One request per call; whoever polls decides when to ask again (the
 * promotion's own backoff). The token is sent only as a header and never
 * appears in an error.
 */
export class ArgoCdClient {
  private readonly base: string
  private readonly fetch: typeof fetch

  constructor(private readonly opts: ArgoCdClientOptions) {
    this.base = opts.url.replace(/\/+$/, '')
    this.fetch = opts.fetch ?? fetch
  }

  async applicationStatus(name: string): Promise<ApplicationStatus> {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) throw new ArgoCdError('ARGOCD_NOT_FOUND', `${JSON.stringify(name)} is not an Application name`, { application: name })
    let res: Response
    try {
      res = await this.fetch(`${this.base}/api/v1/applications/${name}`, { headers: { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' }, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) })
    } catch (e) {
      throw new ArgoCdError('ARGOCD_UNAVAILABLE', `Argo CD could not be reached for ${name} (${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name})`, { application: name })
    }
    if (res.status === 401 || res.status === 403) throw new ArgoCdError('ARGOCD_AUTH', `Argo CD refused the token for ${name} (HTTP ${res.status})`, { application: name, status: res.status })
    if (res.status === 404) throw new ArgoCdError('ARGOCD_NOT_FOUND', `Argo CD has no Application ${name}`, { application: name, status: 404 })
    if (!res.ok) throw new ArgoCdError('ARGOCD_UNAVAILABLE', `Argo CD answered HTTP ${res.status} for ${name}`, { application: name, status: res.status })
    const body = (await res.json()) as { status?: ApplicationStatus }
    return body.status ?? {}
  }
}

/** Without INFRA_SYNC_ARGOCD_URL promotions cannot be decided: they wait, and say why. */
export const unconfiguredArgoCd = {
  applicationStatus(name: string): Promise<ApplicationStatus> {
    return Promise.reject(new ArgoCdError('ARGOCD_NOT_CONFIGURED', `no Argo CD to ask about ${name}: set INFRA_SYNC_ARGOCD_URL and INFRA_SYNC_ARGOCD_TOKEN`, { application: name }))
  },
}
