import { ConfigError } from '../core/errors.js'

/** Where notifications go: a Slack-compatible incoming webhook, or a generic webhook signed with Standard Webhooks. */
export type NotificationTarget =
  | { readonly name: string; readonly kind: 'slack'; readonly url: string }
  | { readonly name: string; readonly kind: 'webhook'; readonly url: string; readonly secret: string }

/** `notifications.targets` as the config schema guarantees it: a URL or secret given inline or by environment variable. */
export interface TargetEntry {
  readonly slack?: { readonly url?: string; readonly urlEnv?: string }
  readonly webhook?: { readonly url?: string; readonly urlEnv?: string; readonly secret?: string; readonly secretEnv?: string }
}

type Env = Readonly<Record<string, string | undefined>>

function value(where: string, inline: string | undefined, envName: string | undefined, env: Env, what: string): string {
  if (inline !== undefined && envName !== undefined) throw new ConfigError(`${where}: give the ${what} or the variable that holds it, not both`, { path: where })
  const v = inline ?? (envName !== undefined ? env[envName] : undefined)
  if (!v) throw new ConfigError(`${where}: ${envName !== undefined ? `${envName} is unset or empty` : `the ${what} is missing`}`, { path: where, ...(envName !== undefined && { env: envName }) })
  return v
}

function httpUrl(where: string, url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new ConfigError(`${where}: not a URL`, { path: where })
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`${where}: must be an http(s) URL`, { path: where })
  return url
}

/**
 * The named targets, checked: exactly one of slack or webhook each, a URL
 * and (webhook) a secret of at least 24 bytes or a `whsec_` one. Neither a
 * URL (Slack's carries its token) nor a secret is ever put in an error.
 */
export function notificationTargets(entries: Readonly<Record<string, TargetEntry>>, env: Env): ReadonlyMap<string, NotificationTarget> {
  const out = new Map<string, NotificationTarget>()
  for (const [name, e] of Object.entries(entries)) {
    const at = `notifications.targets.${name}`
    if ((e.slack === undefined) === (e.webhook === undefined)) throw new ConfigError(`${at}: give exactly one of slack or webhook`, { path: at })
    if (e.slack) {
      out.set(name, { name, kind: 'slack', url: httpUrl(`${at}.slack.url`, value(`${at}.slack.url`, e.slack.url, e.slack.urlEnv, env, 'URL')) })
    } else {
      const w = e.webhook!
      const secret = value(`${at}.webhook.secret`, w.secret, w.secretEnv, env, 'secret')
      if (!secret.startsWith('whsec_') && Buffer.byteLength(secret) < 24) throw new ConfigError(`${at}.webhook.secret: at least 24 bytes, or a whsec_ secret`, { path: `${at}.webhook.secret` })
      out.set(name, { name, kind: 'webhook', url: httpUrl(`${at}.webhook.url`, value(`${at}.webhook.url`, w.url, w.urlEnv, env, 'URL')), secret })
    }
  }
  return out
}
