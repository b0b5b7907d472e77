import fc from 'fast-check'
import t from 'tap'
import type { Notice, NoticeKind } from '../../src/notifications/notice.js'
import { clip, escapeMrkdwn, SLACK_LIMITS, slackMessage } from '../../src/notifications/slack-message.js'

const KINDS: NoticeKind[] = ['applied', 'proposed', 'merged', 'promoted', 'waiting', 'failed', 'dead', 'rolled-back']
const len = (s: string) => [...s].length

const base: Notice = {
  kind: 'applied',
  service: 'orders-api',
  environment: 'prod',
  image: 'ghcr.io/acme/orders-api',
  from: '1.4.1',
  to: '1.4.2',
  commitUrl: 'https://github.com/acme/infra/commit/abc123',
  buildUrl: 'https://ci.example/runs/9',
  sourceCommit: 'acme/orders-api@9fceb02',
  at: '2026-11-30T10:00:00Z',
}

t.test('a deploy: header, the change, its links', async (t) => {
  const m = slackMessage(base)
  t.equal(m.text, 'orders-api/prod deployed: 1.4.1 → 1.4.2')
  t.match(m.blocks[0], { type: 'header', text: { type: 'plain_text', text: 'orders-api/prod deployed: 1.4.1 → 1.4.2' } })
  const context = JSON.stringify(m.blocks.at(-1))
  t.match(context, '<https://github.com/acme/infra/commit/abc123|commit>')
  t.match(context, '<https://ci.example/runs/9|build>')
})

t.test('what a person wrote cannot make a link or a mention, and a URL that is not http(s) is left out', async (t) => {
  const m = slackMessage({ ...base, kind: 'failed', reason: 'see <https://evil.example|here> & <!channel>', buildUrl: 'javascript:alert(1)', commitUrl: 'https://x.example/a|b' })
  const all = JSON.stringify(m)
  t.notMatch(all, '<!channel>')
  t.notMatch(all, '<https://evil.example')
  t.match(all, '&lt;!channel&gt;')
  t.notMatch(all, 'javascript:')
  t.notMatch(all, '|commit>', 'a URL with a pipe is not linked')
})

t.test('clip and escape', async (t) => {
  t.equal(clip('abc', 3), 'abc')
  t.equal(clip('abcd', 3), 'ab…')
  t.equal(clip('😀😀😀😀', 3), '😀😀…', 'cut between characters, not inside one')
  t.equal(escapeMrkdwn('a<b>&c'), 'a&lt;b&gt;&amp;c')
})

t.test("property: any notice makes a message within Block Kit's limits", async (t) => {
  const text = fc.string({ unit: 'grapheme', maxLength: 5000 })
  fc.assert(
    fc.property(fc.constantFrom(...KINDS), text, text, text, text, fc.option(text), fc.option(text), (kind, service, environment, to, image, from, reason) => {
      const m = slackMessage({ ...base, kind, service, environment, to, image, ...(from !== null && { from }), ...(reason !== null && { reason }) })
      const blocks = m.blocks as { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[]
      const ok =
        len(m.text) <= SLACK_LIMITS.text &&
        blocks.length <= SLACK_LIMITS.blocks &&
        blocks.every((b) => {
          if (b.type === 'header') return len(b.text!.text) <= SLACK_LIMITS.header && b.text!.text.length > 0
          if (b.type === 'section') return (b.text === undefined || len(b.text.text) <= SLACK_LIMITS.text) && (b.fields ?? []).length <= SLACK_LIMITS.fields && (b.fields ?? []).every((f) => len(f.text) <= SLACK_LIMITS.field)
          if (b.type === 'context') return b.elements!.length <= SLACK_LIMITS.contextElements && b.elements!.every((e) => len(e.text) <= SLACK_LIMITS.text)
          return false
        })
      return ok && JSON.parse(JSON.stringify(m)) !== null
    }),
    { numRuns: 300 },
  )
})
