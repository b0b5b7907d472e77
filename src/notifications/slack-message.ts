import { NOTICE_VERB, type Notice } from './notice.js'

/**
 * Block Kit's limits (api.slack.com/reference/block-kit): a message's
 * fallback text and a section's text 3,000 characters, a header's 150, a
 * section's field 2,000 and at most 10 fields, a context block at most 10
 * elements, at most 50 blocks.
 */
export const SLACK_LIMITS = { text: 3000, header: 150, field: 2000, fields: 10, contextElements: 10, blocks: 50 } as const

type Block = Record<string, unknown>

/** At most `max` characters, cut on a character boundary with an ellipsis. */
export function clip(s: string, max: number): string {
  const chars = [...s]
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`
}

/** mrkdwn's three control characters, escaped as Slack asks. */
export const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A link only when the URL is one Slack will render safely (http(s), no angle brackets or pipes). */
function link(url: string | undefined, label: string): string | undefined {
  if (!url || !/^https?:\/\/[^\s<>|]+$/.test(url)) return undefined
  return `<${url}|${escapeMrkdwn(label)}>`
}

/** The incoming-webhook payload for one notice: a header, the change, its links, within Block Kit's limits. */
export function slackMessage(n: Notice): { text: string; blocks: Block[] } {
  const title = `${n.service}/${n.environment} ${NOTICE_VERB[n.kind]}: ${n.from ? `${n.from} → ` : ''}${n.to}`
  const fields = [
    `*Service*\n${escapeMrkdwn(n.service)}`,
    `*Environment*\n${escapeMrkdwn(n.environment)}`,
    `*Image*\n${escapeMrkdwn(n.image)}`,
    `*Change*\n${escapeMrkdwn(n.from ?? '(none)')} → ${escapeMrkdwn(n.to)}`,
    ...(n.sourceCommit ? [`*Source commit*\n${escapeMrkdwn(n.sourceCommit)}`] : []),
  ].map((text) => ({ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.field) }))
  const links = [link(n.commitUrl, 'commit'), link(n.pullRequestUrl, 'pull request'), link(n.buildUrl, 'build')].filter((l): l is string => l !== undefined)
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, SLACK_LIMITS.header), emoji: false } },
    { type: 'section', fields: fields.slice(0, SLACK_LIMITS.fields) },
  ]
  if (n.reason) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(n.reason), SLACK_LIMITS.text) } })
  const context = [...(links.length > 0 ? [links.join(' · ')] : []), escapeMrkdwn(n.at)].slice(0, SLACK_LIMITS.contextElements)
  blocks.push({ type: 'context', elements: context.map((text) => ({ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.text) })) })
  return { text: clip(title, SLACK_LIMITS.text), blocks }
}
