import { GitRemoteError, PushRefusedError, PushRejectedError } from '../core/errors.js'
import { decodePktLines, FLUSH, type PktLine } from './pkt-line.js'

/**
 * What receive-pack said about one ref update, read from its report-status
 * (and the side-band around it), turned into the error that says what the
 * worker should do: re-plan (the ref moved), give up (the remote refuses the
 * update itself), or try again later (the outcome is unknown).
 */

/**
 * The words of an `ng <ref> <reason>` that mean the ref was not where the
 * update said it was: a lost race or a lease, which re-planning resolves.
 * The report's reason text is git's only signal for this (report-status has
 * no codes), so this list is the one place that reads it. git 2.39's
 * receive-pack says "failed to update ref"; older ones "failed to lock";
 * the rest are how git's client and other servers word the same failure.
 * Every other `ng` (a hook, branch protection) is a refusal.
 */
const LEASE_FAILURES = [
  'failed to update ref',
  'failed to lock',
  'cannot lock ref',
  'stale info',
  'fetch first',
  'non-fast-forward',
  'incorrect old value',
  'reference already exists',
  'but expected',
] as const

export function isLeaseFailure(reason: string): boolean {
  const r = reason.toLowerCase()
  return LEASE_FAILURES.some((w) => r.includes(w))
}

/** Lines the remote printed (hooks, GitHub's GH006), without progress meters, control characters or our credentials. */
export function remoteLines(text: string, secrets: readonly string[]): string[] {
  const out: string[] = []
  for (let line of text.split(/[\r\n]+/)) {
    line = line.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
    if (!line || /\d+% \(\d+\/\d+\)/.test(line)) continue
    for (const s of secrets) line = line.split(s).join('[redacted]')
    out.push(line.slice(0, 300))
  }
  // The last lines say why; a chatty hook must not fill the event's reason.
  return out.slice(-8)
}

function reasonWith(reason: string, remote: readonly string[]): string {
  const text = remote.length > 0 ? `${reason} (remote: ${remote.join(' | ')})` : reason
  return text.slice(0, 1000)
}

export interface PushReportInput {
  /** The receive-pack response body. */
  readonly body: Buffer
  readonly ref: string
  readonly sideBand: boolean
  /** For error messages: the remote, safe to log. */
  readonly where: string
  /** Our credentials, never to be repeated in a reason. */
  readonly secrets: readonly string[]
}

function pktLines(buf: Buffer, where: string): PktLine[] {
  try {
    return decodePktLines(buf)
  } catch {
    throw new GitRemoteError(`push to ${where}: malformed report`, {})
  }
}

/** Throws the error the report stands for; returns when the ref was updated. */
export function checkPushReport({ body, ref, sideBand, where, secrets }: PushReportInput): void {
  let report = body
  let said: string[] = []
  if (sideBand) {
    const data: Buffer[] = []
    const messages: Buffer[] = []
    for (const line of pktLines(body, where)) {
      if (line === FLUSH) continue
      const band = line[0]
      if (band === 1) data.push(line.subarray(1))
      else if (band === 2) messages.push(line.subarray(1))
      else if (band === 3) {
        const fatal = remoteLines(line.subarray(1).toString('utf8'), secrets).join(' | ').slice(0, 300)
        throw new GitRemoteError(`push to ${where}: remote error: ${fatal}`, {})
      }
    }
    report = Buffer.concat(data)
    said = remoteLines(Buffer.concat(messages).toString('utf8'), secrets)
  }
  let unpack: string | undefined
  let status: string | undefined
  for (const line of pktLines(report, where)) {
    if (line === FLUSH) continue
    const text = line.toString('utf8').replace(/\n$/, '')
    if (text.startsWith('unpack ')) unpack = text.slice('unpack '.length)
    else if (text === `ok ${ref}` || text.startsWith(`ok ${ref} `) || text.startsWith(`ng ${ref} `)) status = text
  }
  if (unpack === undefined) throw new GitRemoteError(`push to ${where}: no report from the remote`, {})
  if (unpack !== 'ok') {
    // The remote would not take the objects (a quota, a size limit, a check on the pack): sending them again changes nothing.
    const reason = reasonWith(`unpack failed: ${remoteLines(unpack, secrets).join(' ')}`, said)
    throw new PushRefusedError(`push to ${ref} refused: ${reason}`, { ref, reason })
  }
  if (status === undefined) throw new GitRemoteError(`push to ${where}: no status for ${ref}`, {})
  if (status.startsWith('ok ')) return
  const why = remoteLines(status.slice(3 + ref.length), secrets).join(' ') || 'refused'
  if (isLeaseFailure(why)) throw new PushRejectedError(`push to ${ref} rejected: ${why.slice(0, 200)}`, { ref, reason: why.slice(0, 200) })
  const reason = reasonWith(why, said)
  throw new PushRefusedError(`push to ${ref} refused: ${reason}`, { ref, reason })
}
