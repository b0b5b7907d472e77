import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook'
import { InfraSyncError } from '../core/errors.js'
import { secretKey } from '../intake/secrets.js'
import { sign } from '../intake/standard-webhooks.js'
import type { Notice } from './notice.js'
import { slackMessage } from './slack-message.js'
import type { NotificationTarget } from './targets.js'

/** A target refused or could not take a notification; retryable unless it answered a 4xx other than 408 or 429. */
export class NotificationError extends InfraSyncError {
  constructor(message: string, data: { readonly target: string; readonly status?: number }, retryable: boolean) {
    super('NOTIFICATION_FAILED', message, { data, retryable })
  }
}

const retryableStatus = (s: number) => s >= 500 || s === 408 || s === 429

/**
 * Sends one notification. `id` is the message's own (one per notification,
 * the same on every retry): the generic webhook's `webhook-id`, so a
 * receiver that saw it already can drop the repeat. The body of the generic
 * webhook is the notice as JSON, signed per Standard Webhooks with the
 * target's secret.
 */
export async function deliverNotice(target: NotificationTarget, notice: Notice, id: string, now: Date, timeoutMs = 10_000): Promise<void> {
  if (target.kind === 'slack') {
    try {
      // Built as plain Block Kit JSON (slack-message.ts checks its limits); the library's block types are narrower than the wire format.
      await new IncomingWebhook(target.url, { timeout: timeoutMs }).send(slackMessage(notice) as unknown as IncomingWebhookSendArguments)
    } catch (e) {
      const status = (e as { original?: { response?: { status?: number } } }).original?.response?.status
      // Slack's URL carries its token: the error names the target, never the URL.
      throw new NotificationError(`slack target ${target.name} did not take the notification${status ? ` (HTTP ${status})` : ''}`, { target: target.name, ...(status !== undefined && { status }) }, status === undefined || retryableStatus(status))
    }
    return
  }
  const body = JSON.stringify({ type: `deploy.${notice.kind}`, ...notice })
  const ts = Math.floor(now.getTime() / 1000)
  const signature = sign(secretKey(target.secret), id, ts, Buffer.from(body)).toString('base64')
  let res: Response
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${signature}` },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (e) {
    throw new NotificationError(`webhook target ${target.name} could not be reached (${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name})`, { target: target.name }, true)
  }
  await res.body?.cancel()
  if (!res.ok) throw new NotificationError(`webhook target ${target.name} answered HTTP ${res.status}`, { target: target.name, status: res.status }, retryableStatus(res.status))
}
