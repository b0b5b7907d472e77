import { GitRemoteError } from '../core/errors.js'
import { redactUrl } from './http-client.js'

/** Redirect statuses: followed for info/refs only (smart-http.ts), an error for a POST. */
export const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** Our own credentials, as they could come back in a body: the header value and, for Basic, the password. */
export function credentials(headers: Record<string, string>): string[] {
  const [scheme, value] = (headers.authorization ?? '').split(' ')
  if (!value) return []
  const out = [value]
  if (scheme === 'Basic') out.push(Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':'))
  return out.filter((s) => s.length >= 4)
}

/** The remote's own words (GitHub: "Repository not found."; an `ERR` line): one short line, never our credentials. */
export function remoteText(body: Buffer, headers: Record<string, string>): string | undefined {
  let text = body
    .subarray(0, 1024)
    .toString('utf8')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 200)
  for (const secret of credentials(headers)) text = text.split(secret).join('[redacted]')
  return text || undefined
}

export function statusError(url: string, status: number, what: string, body: Buffer, headers: Record<string, string>): GitRemoteError {
  // git follows redirects of info/refs only; a POST that is redirected would lose its body (and our intent).
  if (REDIRECTS.has(status)) return new GitRemoteError(`${what} ${redactUrl(url)}: HTTP ${status}, a redirect of a POST is not followed`, { status, url: redactUrl(url), reason: 'redirect' }, { retryable: false })
  // 4xx other than 408/429 will not heal by retrying (bad credentials, no such repo).
  const retryable = status >= 500 || status === 408 || status === 429
  const said = remoteText(body, headers)
  const cause = status === 401 ? ' authentication failed' : status === 403 ? ' forbidden' : status === 404 ? ' repository not found' : ''
  return new GitRemoteError(`${what} ${redactUrl(url)}: HTTP ${status}${cause}${said ? ` (the remote said: ${said})` : ''}`, { status, url: redactUrl(url), ...(said && { remoteMessage: said }) }, { retryable })
}

/** An `ERR <message>` pkt-line from upload-pack ("not our ref"): the remote's words, without our credentials. */
export function errLineError(where: string, line: string, headers: Record<string, string>): GitRemoteError {
  const said = remoteText(Buffer.from(line.slice(4), 'utf8'), headers) ?? ''
  return new GitRemoteError(`${where}: remote error: ${said}`, { reason: 'remote-error', remoteMessage: said })
}
