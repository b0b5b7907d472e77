import { createHmac, randomUUID } from 'node:crypto'
import type { OpenApiValidator } from './openapi-validator.js'
import type { FakeWebhookDelivery } from './types.js'

/**
 * pull_request webhooks as GitHub sends them: the raw JSON body signed with HMAC-SHA256 of the secret
 * (X-Hub-Signature-256: sha256=<hex>), one delivery id each. Every delivery is recorded with the receiver's status.
 */
export class WebhookSender {
  target?: { url: string; secret: string }
  readonly deliveries: FakeWebhookDelivery[] = []
  private readonly pending = new Set<Promise<void>>()

  constructor(
    private readonly validator: OpenApiValidator,
    private readonly violations: string[],
    private readonly hookId: number,
    private readonly repoId: number,
  ) {}

  /** Sends one event; resolves once the receiver answered (or could not be reached). */
  send(event: 'pull_request', schema: string, payload: { action: string; number: number }): Promise<void> {
    this.violations.push(...this.validator.checkWebhook(schema, payload))
    const target = this.target
    if (!target) return Promise.resolve()
    const p = this.deliver(target, event, payload).finally(() => this.pending.delete(p))
    this.pending.add(p)
    return p
  }

  private async deliver(target: { url: string; secret: string }, event: string, payload: { action: string; number: number }): Promise<void> {
    const id = randomUUID()
    const body = JSON.stringify(payload)
    const sig256 = createHmac('sha256', target.secret).update(body).digest('hex')
    const sig1 = createHmac('sha1', target.secret).update(body).digest('hex')
    const record: FakeWebhookDelivery = { id, event, action: payload.action, number: payload.number, url: target.url, status: 0 }
    this.deliveries.push(record)
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/fake',
          'x-github-event': event,
          'x-github-delivery': id,
          'x-github-hook-id': String(this.hookId),
          'x-github-hook-installation-target-type': 'repository',
          'x-github-hook-installation-target-id': String(this.repoId),
          'x-hub-signature': `sha1=${sig1}`,
          'x-hub-signature-256': `sha256=${sig256}`,
        },
        body,
        // GitHub gives a receiver 10 seconds.
        signal: AbortSignal.timeout(10_000),
      })
      await res.arrayBuffer()
      record.status = res.status
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err)
    }
  }

  /** Waits for deliveries still under way (stop() calls it). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending])
  }
}
