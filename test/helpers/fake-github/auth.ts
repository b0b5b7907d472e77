import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto'

/**
 * Who a request is from, as GitHub decides it: a personal access token, a GitHub App's JWT (only good for the
 * /app endpoints and the repository's installation), or an installation token the JWT bought (until it expires).
 */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'pat'; login: string }
  | { kind: 'installation'; login: string }
  | { kind: 'jwt'; appId: number }

export interface AppConfig {
  id: number
  installationId: number
  publicKeyPem: string
  tokenTtlMs: number
  slug: string
}

const decode = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

export class Auth {
  private readonly key?: KeyObject
  private readonly tokens = new Map<string, number>()

  constructor(
    private readonly pat: { token: string; login: string } | undefined,
    readonly app: AppConfig | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (app) this.key = createPublicKey(app.publicKeyPem)
  }

  /** With neither a token nor an App configured, the fake asks for no credentials. */
  get open(): boolean {
    return !this.pat && !this.app
  }

  get botLogin(): string {
    return `${this.app?.slug ?? 'app'}[bot]`
  }

  /** An API request's `Authorization` header → its actor, or null (401 Bad credentials). */
  api(header: string | undefined): Actor | null {
    if (!header) return this.open ? { kind: 'anonymous' } : null
    const m = /^(token|bearer)\s+(\S+)$/i.exec(header.trim())
    if (!m) return null
    const credential = m[2]!
    if (credential.split('.').length === 3) return this.jwt(credential)
    return this.token(credential)
  }

  /** A git request's `Authorization` header: Basic with the token as password, any username. */
  git(header: string | undefined): Actor | null {
    if (!header) return this.open ? { kind: 'anonymous' } : null
    const m = /^basic\s+(\S+)$/i.exec(header.trim())
    if (!m) return null
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return null
    return this.token(decoded.slice(colon + 1))
  }

  private token(t: string): Actor | null {
    if (this.pat && t === this.pat.token) return { kind: 'pat', login: this.pat.login }
    const expires = this.tokens.get(t)
    if (expires !== undefined && this.now() < expires) return { kind: 'installation', login: this.botLogin }
    return null
  }

  /** RS256 with the App's key, iss = the App id, not expired and not issued in the future (60 s of skew, as GitHub allows). */
  private jwt(jwt: string): Actor | null {
    if (!this.app || !this.key) return null
    const [h, p, s] = jwt.split('.') as [string, string, string]
    try {
      const header = decode(h) as { alg?: string }
      const payload = decode(p) as { iss?: unknown; exp?: unknown; iat?: unknown }
      if (header.alg !== 'RS256') return null
      if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), this.key, Buffer.from(s, 'base64url'))) return null
      const nowS = this.now() / 1000
      if (String(payload.iss) !== String(this.app.id)) return null
      if (typeof payload.exp !== 'number' || payload.exp <= nowS) return null
      if (typeof payload.iat !== 'number' || payload.iat > nowS + 60) return null
      // GitHub refuses a JWT that lives longer than ten minutes.
      if (payload.exp - payload.iat > 660) return null
      return { kind: 'jwt', appId: this.app.id }
    } catch {
      return null
    }
  }

  /** A new installation token and when it expires. */
  issue(): { token: string; expiresAt: number } {
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`
    const expiresAt = this.now() + (this.app?.tokenTtlMs ?? 3_600_000)
    this.tokens.set(token, expiresAt)
    return { token, expiresAt }
  }
}
