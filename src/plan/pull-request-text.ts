import type { EventOutcome, PendingEvent, Proposal } from '../core/change-set.js'
import type { BuildEvent } from '../core/build-event.js'
import { short, subject } from './commit-message.js'

export interface PullRequestText {
  readonly title: string
  readonly body: string
}

/** The last line of every body: how a pull request is known as infra-sync's, for its service and environment. */
export const proposalMarker = (service: string, environment: string) => `<!-- infra-sync:proposal ${service}/${environment} -->`

/** Listing more events than this would only make a long body longer. */
const MAX_EVENTS = 50

/** Text inside a code span, safe in a table cell too. */
function code(text: string): string {
  const cell = text.replaceAll('|', '\\|')
  return cell.includes('`') ? `\`\` ${cell} \`\`` : `\`${cell}\``
}

/** A URL as a Markdown link target: the characters that would end or break one are percent-encoded. */
const linkTarget = (url: string) => url.replace(/[()<>\s`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)

/** owner/repo on github.com, as a source names it (`github.com/owner/repo` too); null for anything else. */
function githubRepo(source: string): string | null {
  const m = /^(?:github\.com\/)?([a-z0-9](?:[a-z0-9-]{0,38})\/[a-z0-9_.-]+)$/i.exec(source)
  return m ? m[1]! : null
}

function sourceLine(e: BuildEvent): string {
  let where: string
  const repo = githubRepo(e.source)
  if (!e.commit) where = code(e.source)
  else if (repo) where = `[${e.source}@${short(e.commit)}](https://github.com/${repo}/commit/${e.commit})`
  else where = code(`${e.source}@${e.commit}`)
  return `${where}${e.ref ? ` (${code(e.ref)})` : ''}${e.builtAt ? `, built ${e.builtAt}` : ''}`
}

/**
 * A proposal's pull request title and Markdown body: the title is the commit
 * subject (`deploy(<service>/<env>): a → b`); the body lists each change,
 * where each build came from, the policy's decision and the events carried,
 * and ends with the proposal marker. The commit on the branch keeps using
 * commitMessage: its trailers are the record once merged.
 * Every interpolated value was validated as printable and single-line at intake.
 */
export function pullRequestText(proposal: Proposal, pending: ReadonlyMap<string, PendingEvent>, outcomes: readonly EventOutcome[]): PullRequestText {
  const { service, environment } = proposal
  const changes = proposal.edits.flatMap((e) => e.changes.map((c) => ({ ...c, path: e.path })))
  const lines: string[] = [`infra-sync proposes a new ${code(proposal.image)} for ${code(`${service}/${environment}`)}.`, '', '| File | Change |', '| --- | --- |']
  for (const c of changes) lines.push(`| ${code(c.path)} | ${code(c.from ?? 'unset')} → ${code(c.to)} |`)
  lines.push('')

  for (const id of proposal.eventIds) {
    const ev = pending.get(id)?.event
    if (!ev) continue
    const many = proposal.eventIds.length > 1 ? ` (${code(id)})` : ''
    lines.push(`- Source${many}: ${sourceLine(ev)}`)
    if (ev.buildUrl) lines.push(`- Build${many}: [${ev.buildUrl.replaceAll(/[[\]]/g, '\\$&')}](${linkTarget(ev.buildUrl)})`)
  }
  const reasons = new Set<string>()
  for (const o of outcomes) {
    if (!proposal.eventIds.includes(o.id)) continue
    for (const t of o.targets) if (t.service === service && t.environment === environment && t.decision === 'update') reasons.add(t.reason)
  }
  for (const r of reasons) lines.push(`- Policy: ${code(r)}`)
  // The trailer's words, so the PR says where the build was healthy first (PROMOTED_TRAILER).
  for (const p of new Set(changes.filter((c) => c.promotedFrom).map((c) => `${c.promotedFrom!.environment}@${c.promotedFrom!.commit}`))) lines.push(`- Promoted-From: ${code(p)}, Healthy there in Argo CD`)
  const listed = proposal.eventIds.slice(0, MAX_EVENTS).map(code).join(', ')
  const more = proposal.eventIds.length > MAX_EVENTS ? ` and ${proposal.eventIds.length - MAX_EVENTS} more` : ''
  lines.push(`- Events: ${listed}${more}`)
  lines.push(
    proposal.merge === 'auto'
      ? `- Merge: auto (${proposal.mergeMethod}), once the required checks pass`
      : '- Merge: by a person; infra-sync updates this pull request in place when a newer build wins',
  )
  lines.push('', proposalMarker(service, environment))
  return { title: subject(changes), body: `${lines.join('\n')}\n` }
}
