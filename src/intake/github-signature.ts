import { Webhooks } from '@octokit/webhooks'
import { SignatureError } from '../core/errors.js'

const HUB_SIGNATURE = /^sha256=[0-9a-f]{64}$/

/** X-Hub-Signature-256 present and well formed, checked before the body is read. Only sha256=<64 hex>: the sha1= form is not accepted. */
export function readHubSignature(header: string | string[] | undefined): string {
  const signature = Array.isArray(header) ? header[0] : header
  if (!signature) throw new SignatureError('SIGNATURE_MISSING', 'X-Hub-Signature-256 is required')
  if (!HUB_SIGNATURE.test(signature)) throw new SignatureError('SIGNATURE_INVALID', 'X-Hub-Signature-256 must be sha256=<64 hex>')
  return signature
}

/**
 * X-Hub-Signature-256 over the raw body, checked by @octokit/webhooks with
 * every secret of one hook (two during a rotation). The body is verified as the
 * exact bytes received: a body that is not valid UTF-8 cannot match.
 */
export class GithubSignature {
  private readonly hooks: Webhooks[]

  constructor(secrets: readonly string[]) {
    this.hooks = secrets.map((secret) => new Webhooks({ secret }))
  }

  get configured(): boolean {
    return this.hooks.length > 0
  }

  async verify(raw: Buffer, header: string | string[] | undefined): Promise<void> {
    const signature = readHubSignature(header)
    const text = raw.toString('utf8')
    if (!Buffer.from(text, 'utf8').equals(raw)) throw new SignatureError('SIGNATURE_INVALID', 'the body is not valid UTF-8, so it cannot be what was signed')
    for (const h of this.hooks) if (await h.verify(text, signature)) return
    throw new SignatureError('SIGNATURE_INVALID', 'no secret of this GitHub hook made this signature')
  }
}
