import { normaliseSource } from '../core/build-event.js'
import { SourceSecretError } from '../core/errors.js'
import { GithubSignature, readHubSignature } from './github-signature.js'

/** What a GitHub delivery claims before its body is read: its signature, the source its hook URL names, and which hook's secrets may verify it. */
export interface GithubClaim {
  readonly signature: string
  readonly named: string | undefined
  /** `source`: that repository's own hook; `app`: INFRA_SYNC_GITHUB_SECRET (the infra repo's hook, or a GitHub App). */
  readonly by: 'source' | 'app'
  readonly hook: GithubSignature
}

/**
 * Who may speak for which repository on `/v1/webhooks/github`. A source
 * repository's own hook (its secret in `sources.<repo>`, its URL naming it
 * with `?source=`) speaks for that repository only. INFRA_SYNC_GITHUB_SECRET
 * belongs to the infra repo's hook or to a GitHub App the org admins
 * installed: it speaks for any configured source, or for any repository when
 * no source is configured at all.
 */
export class GithubTrust {
  private readonly app: GithubSignature
  private readonly bySource: ReadonlyMap<string, GithubSignature>
  private readonly sources: ReadonlySet<string>

  constructor(app: readonly string[], bySource: ReadonlyMap<string, readonly string[]>, otherSources: Iterable<string> = []) {
    this.app = new GithubSignature(app)
    this.bySource = new Map([...bySource].filter(([, list]) => list.length > 0).map(([s, list]) => [normaliseSource(s), new GithubSignature(list)]))
    this.sources = new Set([...this.bySource.keys(), ...[...otherSources].map(normaliseSource)])
  }

  get configured(): boolean {
    return this.app.configured || this.bySource.size > 0
  }

  /** From the headers and URL alone: one hook's secrets are chosen, whatever the number of sources. */
  claim(header: string | string[] | undefined, named: string | undefined): GithubClaim {
    const signature = readHubSignature(header)
    const own = named ? this.bySource.get(named) : undefined
    if (own) return { signature, named, by: 'source', hook: own }
    if (this.app.configured) return { signature, named, by: 'app', hook: this.app }
    if (named) throw new SourceSecretError('SOURCE_UNKNOWN', `no GitHub hook secret is configured for ${named}`, { source: named })
    throw new SourceSecretError('SOURCE_REQUIRED', "name the source repository in the hook's URL: /v1/webhooks/github?source=owner/repo")
  }

  verify(raw: Buffer, claim: GithubClaim): Promise<void> {
    return claim.hook.verify(raw, claim.signature)
  }

  /** Whether a verified delivery may bring builds of `source`; one it may not is ignored, not refused. */
  speaksFor(claim: GithubClaim, source: string): boolean {
    if (claim.by === 'source') return claim.named === source
    return this.sources.size === 0 || this.sources.has(source)
  }
}
