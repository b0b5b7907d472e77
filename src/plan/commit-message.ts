import type { FileEdit, PendingEvent, ValueChange } from '../core/change-set.js'

export const EVENT_TRAILER = 'Infra-Sync-Event'
export const SOURCE_TRAILER = 'Source-Commit'
export const PROMOTED_TRAILER = 'Promoted-From'

/** The subject line for these changes (also a pull request's title). */
export function subject(changes: readonly ValueChange[]): string {
  if (changes.length === 1) {
    const c = changes[0]!
    return `deploy(${c.service}/${c.environment}): ${c.from ?? 'unset'} → ${c.to}`
  }
  const services = [...new Set(changes.map((c) => c.service))]
  const tos = new Set(changes.map((c) => c.to))
  const froms = new Set(changes.map((c) => c.from ?? 'unset'))
  if (services.length === 1 && tos.size === 1) {
    // One environment may set the image in several files: name it once.
    const envs = [...new Set(changes.map((c) => c.environment))].join(',')
    const to = changes[0]!.to
    return froms.size === 1 ? `deploy(${services[0]}/${envs}): ${[...froms][0]} → ${to}` : `deploy(${services[0]}/${envs}): → ${to}`
  }
  return `deploy: ${changes.length} updates to ${services.length} service${services.length === 1 ? '' : 's'}`
}

export const short = (sha: string) => sha.slice(0, 12)

/**
 * The commit message for a batch: a subject in the form of DESIGN.md, a line
 * per change with its source, and trailers that make git history the record
 * of which events were applied (recovery after a crash looks for them).
 * Every interpolated value was validated as printable and single-line at intake.
 */
export function commitMessage(edits: readonly FileEdit[], events: ReadonlyMap<string, PendingEvent>): string {
  const changes = edits.flatMap((e) => e.changes.map((c) => ({ ...c, path: e.path })))
  // A rollback says so where people look first: git log --oneline.
  const rollback = changes.length > 0 && changes.every((c) => events.get(c.eventId)?.event.rollback)
  const lines: string[] = [rollback ? subject(changes).replace(/^deploy/, 'rollback') : subject(changes), '']
  for (const c of changes) {
    const ev = events.get(c.eventId)?.event
    lines.push(`${c.service}/${c.environment}: ${c.image} ${c.from ?? 'unset'} → ${c.to}`)
    lines.push(`  ${c.path}`)
    if (ev) {
      const from = ev.commit ? `${ev.source}@${short(ev.commit)}` : ev.source
      lines.push(`  source ${from}${ev.ref ? ` (${ev.ref})` : ''}${ev.builtAt ? `, built ${ev.builtAt}` : ''}`)
      if (ev.buildUrl) lines.push(`  build ${ev.buildUrl}`)
      if (ev.rollback) lines.push(`  rollback, pinned until: infra-sync unpin ${c.service} ${c.environment}`)
      if (c.promotedFrom) lines.push(`  promoted from ${c.promotedFrom.environment} (${short(c.promotedFrom.commit)}), healthy there`)
    }
  }
  const eventIds = [...new Set(changes.map((c) => c.eventId))]
  const sources = [...new Set(eventIds.map((id) => events.get(id)?.event).filter((e) => e?.commit).map((e) => `${e!.source}@${e!.commit}`))]
  lines.push('')
  for (const id of eventIds) lines.push(`${EVENT_TRAILER}: ${id}`)
  for (const s of sources) lines.push(`${SOURCE_TRAILER}: ${s}`)
  for (const p of new Set(changes.filter((c) => c.promotedFrom).map((c) => `${c.promotedFrom!.environment}@${c.promotedFrom!.commit}`))) lines.push(`${PROMOTED_TRAILER}: ${p}`)
  return `${lines.join('\n')}\n`
}

/** Event ids named by the trailers of a commit message. */
export function eventIdsIn(message: string): string[] {
  const out: string[] = []
  const re = new RegExp(`^${EVENT_TRAILER}: (\\S+)\\s*$`, 'gm')
  for (const m of message.matchAll(re)) out.push(m[1]!)
  return out
}
