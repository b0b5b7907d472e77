import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { EventOutcome, PendingEvent, Proposal, ValueChange } from '../../src/core/change-set.js'
import { proposalBranch } from '../../src/core/change-set.js'
import { proposalMarker, pullRequestText } from '../../src/plan/pull-request-text.js'

const IMG = 'ghcr.io/acme/orders-api'
const SHA = '9fceb02d0ae598e95dc970b74767f19372d61af8'
const A = 'services/orders-api/overlays/prod/kustomization.yaml'
const B = 'services/orders-api/overlays/prod/worker.yaml'

const change = (eventId: string, from: string | undefined, to: string): ValueChange => ({ eventId, service: 'orders-api', environment: 'prod', image: IMG, ...(from !== undefined && { from }), to, tag: to, builtAt: '2026-11-25T10:00:00Z' })

function proposal(edits: { path: string; changes: ValueChange[] }[], extra: Partial<Proposal> = {}): Proposal {
  return {
    service: 'orders-api',
    environment: 'prod',
    image: IMG,
    branch: proposalBranch('orders-api', 'prod'),
    edits: edits.map((e) => ({ ...e, before: 'a', after: 'b' })),
    eventIds: [...new Set(edits.flatMap((e) => e.changes.map((c) => c.eventId)))],
    merge: 'manual',
    mergeMethod: 'merge',
    reviewers: [],
    labels: [],
    ...extra,
  }
}

const ev = (id: string, e: Partial<BuildEvent> = {}): [string, PendingEvent] => [id, { id, receivedAt: '2026-11-25T10:00:01Z', event: { source: 'acme/orders-api', image: IMG, tag: '1.5.0', commit: SHA, ref: 'refs/heads/main', builtAt: '2026-11-25T10:00:00Z', buildUrl: 'https://ci.example/runs/123', ...e } }]

const outcome = (id: string, reason: string): EventOutcome => ({
  id,
  status: 'proposed',
  targets: [{ service: 'orders-api', environment: 'prod', file: A, image: IMG, from: '1.4.0', to: '1.5.0', decision: 'update', code: 'proposed', status: 'proposed', reason, update: 'pull-request' }],
})

t.test('title in the commit subject form; body with each file, source, build, decision, events and the marker last', async (t) => {
  const p = proposal([{ path: A, changes: [change('E1', '1.4.0', '1.5.0')] }])
  const { title, body } = pullRequestText(p, new Map([ev('E1')]), [outcome('E1', 'policy semver:>=1.0.0')])
  t.equal(title, 'deploy(orders-api/prod): 1.4.0 → 1.5.0')
  t.ok(body.includes(A))
  t.ok(body.includes(`https://github.com/acme/orders-api/commit/${SHA}`), 'the source commit links to GitHub')
  t.ok(body.includes('https://ci.example/runs/123'))
  t.ok(body.includes('policy semver:>=1.0.0'))
  t.ok(body.includes('E1'))
  const lines = body.trimEnd().split('\n')
  t.equal(lines.at(-1), proposalMarker('orders-api', 'prod'))
  t.equal(lines.at(-1), '<!-- infra-sync:proposal orders-api/prod -->')
})

t.test('several files: a table row each; one value named once in the title', async (t) => {
  const p = proposal([
    { path: A, changes: [change('E2', '1.4.0', '1.5.0')] },
    { path: B, changes: [change('E2', '1.4.0', '1.5.0')] },
  ])
  const { title, body } = pullRequestText(p, new Map([ev('E2')]), [])
  t.equal(title, 'deploy(orders-api/prod): 1.4.0 → 1.5.0')
  const rows = body.split('\n').filter((l) => l.startsWith('| `'))
  t.equal(rows.length, 2)
  t.ok(rows[0]!.includes(A) && rows[1]!.includes(B))
})

t.test('a source that is not a GitHub repository is named, not linked; a value never set reads unset', async (t) => {
  const p = proposal([{ path: A, changes: [change('E3', undefined, '1.5.0')] }])
  const { title, body } = pullRequestText(p, new Map([ev('E3', { source: 'gitlab/acme/group/api' })]), [])
  t.equal(title, 'deploy(orders-api/prod): unset → 1.5.0')
  t.ok(body.includes(`gitlab/acme/group/api@${SHA}`))
  t.notOk(body.includes('https://github.com/'))
})

t.test('markdown-breaking characters in a path stay inside their cell', async (t) => {
  const odd = 'services/orders-api/overlays/prod/a|b`c.yaml'
  const p = proposal([{ path: odd, changes: [change('E4', '1.4.0', '1.5.0')] }])
  const { body } = pullRequestText(p, new Map([ev('E4', { buildUrl: 'https://ci.example/runs/(1)' })]), [])
  const row = body.split('\n').find((l) => l.includes('a\\|b'))!
  t.ok(row, 'the pipe is escaped')
  t.equal(row.split(/(?<!\\)\|/).length, 4, 'two cells')
  t.ok(body.includes('(https://ci.example/runs/%281%29)'))
})
