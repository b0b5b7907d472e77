import { ConfigError } from '../core/errors.js'
import { checkSecret, notEmpty } from './source-secrets.js'

/** Where promotion reads health (Argo CD's API), and the token Argo CD's notifications call back with. */
export interface ArgoCdConfig {
  /** INFRA_SYNC_ARGOCD_URL: the API server's base URL. */
  readonly url: string
  /** INFRA_SYNC_ARGOCD_TOKEN: a bearer token allowed to get the Applications. */
  readonly token: string
  /** INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN: what POST /v1/webhooks/argocd must send; absent: the route is off. */
  readonly webhookToken?: string
  /** How often each waiting promotion's Application is asked about, in milliseconds (1000–10000; default 5000). */
  readonly pollMs: number
}

export interface ArgoCdFileEntry {
  url?: string
  tokenEnv?: string
  webhookTokenEnv?: string
  pollMs?: number
}

type Env = Record<string, string | undefined>

/** The Argo CD settings from env (winning) and the config file's `argocd:`; undefined when no URL is given. */
export function argocdConfig(env: Env, f: ArgoCdFileEntry | undefined): ArgoCdConfig | undefined {
  const url = notEmpty({ name: 'INFRA_SYNC_ARGOCD_URL', value: env.INFRA_SYNC_ARGOCD_URL ?? f?.url })
  const fromEnv = (name: string | undefined) => (name === undefined ? undefined : env[name])
  const token = notEmpty({ name: 'INFRA_SYNC_ARGOCD_TOKEN', value: env.INFRA_SYNC_ARGOCD_TOKEN ?? fromEnv(f?.tokenEnv) })
  const webhookToken = notEmpty({ name: 'INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN', value: env.INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN ?? fromEnv(f?.webhookTokenEnv) })
  if (url === undefined) {
    if (token !== undefined || webhookToken !== undefined) throw new ConfigError('an Argo CD token is set but INFRA_SYNC_ARGOCD_URL is not', { setting: 'INFRA_SYNC_ARGOCD_URL', reason: 'argocd-without-url' })
    return undefined
  }
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password) throw new ConfigError('INFRA_SYNC_ARGOCD_URL must be an http(s) URL without credentials', { setting: 'INFRA_SYNC_ARGOCD_URL', reason: 'argocd-url' })
  if (token === undefined) throw new ConfigError('INFRA_SYNC_ARGOCD_URL is set but INFRA_SYNC_ARGOCD_TOKEN is not: Argo CD answers its API only with a token', { setting: 'INFRA_SYNC_ARGOCD_TOKEN', reason: 'argocd-without-token' })
  if (webhookToken !== undefined) checkSecret('INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN', webhookToken)
  return { url: parsed.toString().replace(/\/+$/, ''), token, ...(webhookToken !== undefined && { webhookToken }), pollMs: f?.pollMs ?? 5000 }
}
