import fc from 'fast-check'
import semver from 'semver'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { PendingEvent, PullRequestRef } from '../../src/core/change-set.js'
import { YamlError } from '../../src/core/errors.js'
import { buildChangeSet, type AppliedRecord, type FileContent, type ProposalView } from '../../src/plan/build-change-set.js'
import { filesNeeded, matchEvent } from '../../src/plan/match-events.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { serviceFiles, MemoryTree } from '../helpers/memory-tree.js'

const IMG = 'ghcr.io/acme/orders-api'
const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'
const PROD = 'services/orders-api/overlays/prod/kustomization.yaml'
const config = (prod = '{ update: pull-request }') => `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n  prod: ${prod}\n`
const files = serviceFiles('orders-api', config(), { dev: '1.4.1', prod: '1.4.0' }, IMG)
const PR: PullRequestRef = { number: 7, url: 'https://github.com/acme/infra/pull/7', state: 'open' }

let n = 0
function pending(event: Partial<BuildEvent>, id = `E${String(++n).padStart(3, '0')}`): PendingEvent {
  return { id, receivedAt: '2026-11-25T10:00:00.000Z', event: { source: 'acme/orders-api', image: IMG, ref: 'refs/heads/main', ...event } as BuildEvent }
}

interface Opts {
  files?: Record<string, string>
  pullRequests?: boolean
  view?: ProposalView
  history?: Record<string, AppliedRecord>
  broken?: string
}

async function plan(events: PendingEvent[], opts: Opts = {}) {
  const all = opts.files ?? files
  const registry = await loadRegistry(new MemoryTree(all))
  const matched = events.map((e) => matchEvent(e, registry))
  const contents = new Map<string, FileContent>()
  for (const p of filesNeeded(matched)) contents.set(p, p === opts.broken ? { error: new YamlError('YAML_INVALID', `${p}: invalid`) } : all[p] === undefined ? null : { text: all[p]! })
  const asked: string[] = []
  const proposals = (s: string, e: string, i: string) => {
    asked.push(`${s}/${e}/${i}`)
    return opts.view
  }
  const cs = buildChangeSet(matched, contents, (s, e, i) => opts.history?.[`${s}/${e}/${i}`], { pullRequests: opts.pullRequests ?? true, proposals })
  return { ...cs, asked }
}

const target = (cs: Awaited<ReturnType<typeof plan>>, i: number, env: string) => cs.outcomes[i]!.targets.find((x) => x.environment === env)!
const open = (tag: string, eventIds: string[]): ProposalView => ({ open: { value: { tag, builtAt: '2026-11-25T09:00:00.000Z', eventId: eventIds[0]! }, eventIds, pullRequest: PR }, declined: [] })

t.test('one event: a commit for dev and a proposal for prod, made on the base text', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' })])
  t.same(cs.edits.map((e) => e.path), [DEV], 'the commit lane holds dev only')
  t.equal(cs.proposals.length, 1)
  const p = cs.proposals[0]!
  t.match(p, { service: 'orders-api', environment: 'prod', image: IMG, branch: 'infra-sync/orders-api/prod', eventIds: [cs.outcomes[0]!.id], merge: 'manual', mergeMethod: 'merge', reviewers: [], labels: [] })
  t.same(p.edits.map((e) => e.path), [PROD])
  t.equal(p.edits[0]!.before, files[PROD], 'from the base head')
  t.equal(p.edits[0]!.after, files[PROD]!.replace('newTag: 1.4.0', 'newTag: 1.4.2'))
  t.same(p.edits[0]!.changes.map((c) => [c.environment, c.from, c.to]), [['prod', '1.4.0', '1.4.2']])
  t.equal(cs.outcomes[0]!.status, 'proposed', 'a dev commit and a prod PR: the event waits in the PR')
  t.match(target(cs, 0, 'dev'), { decision: 'update', code: 'updated', status: 'applied', update: 'commit' })
  t.match(target(cs, 0, 'prod'), { decision: 'update', code: 'proposed', status: 'proposed', update: 'pull-request' })
  t.same(cs.asked, [`orders-api/prod/${IMG}`], 'only the pull-request target is looked up')
})

t.test('the target settings go into the proposal', async (t) => {
  const f = serviceFiles('orders-api', config('{ update: pull-request, merge: auto, mergeMethod: squash, reviewers: [acme/ops], labels: [deploy] }'), { dev: '1.4.1', prod: '1.4.0' }, IMG)
  const cs = await plan([pending({ tag: '1.4.2' })], { files: f })
  t.match(cs.proposals[0], { merge: 'auto', mergeMethod: 'squash', reviewers: ['acme/ops'], labels: ['deploy'] })
})

t.test('lanes never share edits: one values file for a commit and a pull-request environment', async (t) => {
  const values = `dev:\n  image:\n    repository: ${IMG}\n    tag: 1.4.1\nprod:\n  image:\n    repository: ${IMG}\n    tag: 1.4.0\n`
  const f = {
    'services/orders-api/infra-sync.yaml': `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: { path: ., file: values.yaml, key: dev.image }\n  prod: { path: ., file: values.yaml, key: prod.image, update: pull-request }\n`,
    'services/orders-api/values.yaml': values,
  }
  const cs = await plan([pending({ tag: '1.4.2' })], { files: f })
  t.equal(cs.edits.length, 1)
  t.equal(cs.edits[0]!.after, values.replace('tag: 1.4.1', 'tag: 1.4.2'), 'the commit changes dev only')
  t.equal(cs.proposals[0]!.edits[0]!.before, values)
  t.equal(cs.proposals[0]!.edits[0]!.after, values.replace('tag: 1.4.0', 'tag: 1.4.2'), 'the proposal changes prod only, on the base text')
})

t.test('a newer build in the same batch supersedes the earlier one within the lane', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' }), pending({ tag: '1.5.0' })])
  const p = cs.proposals[0]!
  t.same(p.eventIds, [cs.outcomes[1]!.id])
  t.same(p.edits[0]!.changes.map((c) => [c.eventId, c.from, c.to]), [[cs.outcomes[1]!.id, '1.4.0', '1.5.0']])
  t.match(target(cs, 0, 'prod'), { decision: 'skip', code: 'superseded', status: 'superseded' })
  t.match(target(cs, 0, 'dev'), { decision: 'skip', code: 'superseded', status: 'skipped' }, 'in the commit lane, as before')
  t.equal(cs.outcomes[0]!.status, 'superseded')
  t.equal(cs.outcomes[1]!.status, 'proposed')
  t.match(target(cs, 1, 'prod'), { code: 'proposed', from: '1.4.0', to: '1.5.0' })
})

t.test('an open proposal orders the builds after it', async (t) => {
  const view = open('1.5.0', ['P1'])
  const older = await plan([pending({ tag: '1.4.5' })], { view })
  t.match(target(older, 0, 'prod'), { decision: 'skip', code: 'older', status: 'skipped' })
  t.equal(older.proposals.length, 0)

  const same = await plan([pending({ tag: '1.5.0' })], { view })
  t.match(target(same, 0, 'prod'), { decision: 'skip', code: 'already-proposed', status: 'skipped', pullRequest: { number: 7 } })
  t.equal(same.proposals.length, 0)
  t.equal(same.outcomes[0]!.status, 'applied', 'dev still took it')

  const replay = await plan([pending({ tag: '1.5.0' }, 'P1')], { view })
  t.match(target(replay, 0, 'prod'), { decision: 'update', code: 'proposed', status: 'proposed', pullRequest: { number: 7 } }, 'a crash replay is planned again')
  t.same(replay.proposals[0]!.eventIds, ['P1'])

  const newer = await plan([pending({ tag: '1.6.0' })], { view })
  t.match(target(newer, 0, 'prod'), { decision: 'update', code: 'proposed', pullRequest: { number: 7 } }, 'the open PR is updated in place')
  t.same(newer.proposals[0]!.edits[0]!.changes.map((c) => [c.from, c.to]), [['1.4.0', '1.6.0']], 'from the base value, not the PR one')
})

t.test('a declined value is never proposed again; another is', async (t) => {
  const view: ProposalView = { declined: [{ tag: '1.5.0', builtAt: '2026-11-25T09:00:00.000Z', eventId: 'D1', pullRequest: { ...PR, state: 'closed' } }] }
  const cs = await plan([pending({ tag: '1.5.0' })], { view })
  t.match(target(cs, 0, 'prod'), { decision: 'skip', code: 'declined', status: 'skipped', pullRequest: { number: 7, state: 'closed' } })
  t.equal(cs.proposals.length, 0)
  const next = await plan([pending({ tag: '1.5.1' })], { view })
  t.match(target(next, 0, 'prod'), { code: 'proposed' })
})

t.test('the other checks hold for pull-request targets: pin, policy, older than HEAD and than history', async (t) => {
  const pinned = await plan([pending({ tag: '1.5.0' })], { files: serviceFiles('orders-api', config('{ update: pull-request, pin: true }'), { dev: '1.4.1', prod: '1.4.0' }, IMG) })
  t.equal(target(pinned, 0, 'prod').code, 'pinned')
  const filtered = await plan([pending({ tag: '2.0.0-rc.1' })])
  t.equal(target(filtered, 0, 'prod').code, 'prerelease')
  const head = await plan([pending({ tag: '1.3.9' })])
  t.equal(target(head, 0, 'prod').code, 'older')
  const history = { [`orders-api/prod/${IMG}`]: { tag: '1.4.8', builtAt: '2026-11-25T09:00:00.000Z', eventId: 'H' } }
  const hist = await plan([pending({ tag: '1.4.5' })], { history })
  t.equal(target(hist, 0, 'prod').code, 'older')
  for (const cs of [pinned, filtered, head, hist]) t.equal(cs.proposals.length, 0)
})

t.test('without a forge pull-request targets are skipped as before', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' })], { pullRequests: false })
  t.equal(cs.proposals.length, 0)
  t.match(target(cs, 0, 'prod'), { decision: 'skip', code: 'pull-request-unavailable' })
  t.equal(cs.outcomes[0]!.status, 'applied')
  t.same(cs.asked, [])
})

t.test('an event that fails fails as a whole: no lane keeps its edits', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' })], { broken: PROD })
  t.match(cs.outcomes[0], { status: 'failed', code: 'YAML_INVALID' })
  t.same([cs.edits.length, cs.proposals.length], [0, 0])
})

t.test('property: the proposal carries the newest non-declined build newer than HEAD and the open PR', async (t) => {
  const versions = ['1.0.9', '1.1.0', '1.1.1', '1.1.2', '1.2.0', '1.2.1', '1.3.0', '2.0.0']
  const HEAD = '1.1.1'
  const f = serviceFiles('orders-api', `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  prod: { update: pull-request }\n`, { prod: HEAD }, IMG)
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...versions), { minLength: 1, maxLength: 8 }), fc.subarray(versions), fc.option(fc.constantFrom(...versions)), async (tags, declined, proposed) => {
      const view: ProposalView = {
        declined: declined.map((tag) => ({ tag, builtAt: '2026-11-25T09:00:00.000Z', eventId: `D-${tag}` })),
        ...(proposed !== null && !declined.includes(proposed) && { open: { value: { tag: proposed, builtAt: '2026-11-25T09:00:00.000Z', eventId: 'OPEN' }, eventIds: ['OPEN'], pullRequest: PR } }),
      }
      const events = tags.map((tag) => pending({ tag }))
      const cs = await plan(events, { files: f, view })
      const floor = view.open ? semver.maxSatisfying([HEAD, view.open.value.tag!], '*')! : HEAD
      const eligible = tags.filter((tag) => !declined.includes(tag) && semver.gt(tag, floor))
      const best = eligible.length > 0 ? semver.maxSatisfying(eligible, '*') : null
      if (best === null) return cs.proposals.length === 0
      const p = cs.proposals[0]!
      const firstWithBest = events.find((e) => e.event.tag === best)!.id
      return cs.proposals.length === 1 && p.edits[0]!.changes.length === 1 && p.edits[0]!.changes[0]!.to === best && p.edits[0]!.changes[0]!.from === HEAD && p.eventIds.length === 1 && p.eventIds[0] === firstWithBest
    }),
    { numRuns: 200 },
  )
  t.pass('the maximum by the policy wins')
})
