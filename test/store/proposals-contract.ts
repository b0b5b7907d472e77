import type { Test } from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { PullRequestRef, TargetOutcome, TargetStatus, ValueChange } from '../../src/core/change-set.js'
import { eventStatusOf } from '../../src/plan/event-status.js'
import type { ProposalRecord, Store } from '../../src/store/store.js'

const IMAGE = 'ghcr.io/acme/orders-api'
const KEY = { service: 'orders', environment: 'prod', image: IMAGE }
const DAY = 86_400_000
const sha = (c: string) => c.repeat(40)
const pr = (number: number, state: PullRequestRef['state'] = 'open'): PullRequestRef => ({ number, url: `https://github.com/acme/infra/pull/${number}`, state })

function target(environment: string, status: TargetStatus, tag: string, pullRequest?: PullRequestRef): TargetOutcome {
  const update = status === 'applied' || status === 'proposed'
  return {
    service: 'orders',
    environment,
    file: `services/orders/overlays/${environment}/kustomization.yaml`,
    image: IMAGE,
    from: '1.0.0',
    to: tag,
    decision: update ? 'update' : 'skip',
    code: update ? 'updated' : status,
    reason: `1.0.0 → ${tag}`,
    update: environment === 'prod' ? 'pull-request' : 'commit',
    status,
    ...(pullRequest && { pullRequest }),
  }
}

/** An event accepted and finished with these targets (status as the worker derives it), `at` its receipt. */
async function decided(store: Store, tag: string, targets: TargetOutcome[], opts: { commit?: string; at?: Date } = {}) {
  const event: BuildEvent = { source: 'acme/orders-api', image: IMAGE, tag, ref: 'refs/heads/main' }
  const { id } = await store.accept({ source: 'acme/orders-api', deliveryId: `d-${tag}`, event, receivedAt: opts.at ?? new Date() })
  const outcome = { id, status: eventStatusOf(targets, 'skipped'), targets }
  await store.finish([{ kind: 'final', outcome, ...(opts.commit && { commit: opts.commit }) }], [], new Date())
  return id
}

const change = (eventId: string, tag: string): ValueChange => ({ eventId, service: 'orders', environment: 'prod', image: IMAGE, from: '1.0.0', to: tag, tag, builtAt: '2026-11-25T10:00:00.000Z' })

function proposal(number: number, carried: { id: string; tag: string }[]): ProposalRecord {
  const newest = carried[carried.length - 1]!
  return {
    ...KEY,
    branch: 'infra-sync/orders/prod',
    pullRequest: pr(number),
    headSha: sha('b'),
    contentKey: `key-${newest.tag}`,
    value: { tag: newest.tag, builtAt: '2026-11-25T10:00:00.000Z', eventId: newest.id },
    changes: carried.map((c) => change(c.id, c.tag)),
    eventIds: carried.map((c) => c.id),
    openedAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:00:00.000Z',
  }
}

const prodOf = (r: { targets: readonly TargetOutcome[] } | null) => r!.targets.find((x) => x.environment === 'prod')!

/** The Store contract for pull-request proposals: supersede, merge, close, and how the event statuses follow. */
export function proposalsContract(t: Test, name: string, open: (t: Test) => Promise<Store>): void {

  t.test(`${name}: a newer build in the same pull request supersedes the older event; the PR is the open proposal`, async (t) => {
    const store = await open(t)
    const a = await decided(store, '1.1.0', [target('prod', 'proposed', '1.1.0', pr(7))])
    await store.recordProposal(proposal(7, [{ id: a, tag: '1.1.0' }]), new Date())
    t.equal((await store.get(a))!.status, 'proposed')
    t.same((await store.get(a))!.pullRequest, pr(7), 'one pull request among its targets: the event names it')

    const b = await decided(store, '1.2.0', [target('prod', 'proposed', '1.2.0', pr(7))])
    await store.recordProposal(proposal(7, [{ id: b, tag: '1.2.0' }]), new Date())
    const older = (await store.get(a))!
    t.equal(older.status, 'superseded')
    t.match(prodOf(older), { status: 'superseded', code: 'superseded', decision: 'skip', pullRequest: { number: 7 } })
    t.equal((await store.get(b))!.status, 'proposed')

    const open1 = await store.openProposals()
    t.equal(open1.length, 1, 'one row per pull request, updated in place')
    t.same(open1[0]!.eventIds, [b])
    const state = (await store.proposals([KEY, { ...KEY, environment: 'dev' }]))
    t.equal(state.get('orders\u0000prod\u0000' + IMAGE)!.open!.value.tag, '1.2.0')
    t.same(state.get('orders\u0000dev\u0000' + IMAGE), { declined: [] }, 'every key asked for has an answer')
    t.same((await store.list('superseded', 10)).map((r) => r.id), [a])
    t.match(await store.counts(), { superseded: 1, proposed: 1 })
    t.same(await store.claim(10, new Date(Date.now() + DAY)), [], 'proposed and superseded events are never claimed')
  })

  t.test(`${name}: a merge applies every carried event, records the deployments and is idempotent`, async (t) => {
    const store = await open(t)
    // dev went by commit, prod waits in the PR: the event reads proposed until the merge.
    const both = await decided(store, '1.1.0', [target('dev', 'applied', '1.1.0'), target('prod', 'proposed', '1.1.0', pr(3))], { commit: sha('c') })
    const prodOnly = await decided(store, '1.2.0', [target('prod', 'proposed', '1.2.0', pr(3))])
    t.equal((await store.get(both))!.status, 'proposed')
    await store.recordProposal(proposal(3, [{ id: both, tag: '1.1.0' }, { id: prodOnly, tag: '1.2.0' }]), new Date())

    const merged = { state: 'merged' as const, mergeCommit: sha('m'), mergedBy: 'octocat', mergedAt: '2026-11-25T11:00:00.000Z' }
    const changed = await store.endProposal('orders', 'prod', 3, merged, new Date())
    t.same(changed.map((r) => r.id).sort(), [both, prodOnly].sort())
    const first = (await store.get(both))!
    t.equal(first.status, 'applied')
    t.equal(first.commit, sha('c'), 'an event that had a commit keeps it')
    t.match(prodOf(first), { status: 'applied', decision: 'update', code: 'updated', pullRequest: { number: 3, state: 'merged' } })
    t.same(first.pullRequest, pr(3, 'merged'))
    const second = (await store.get(prodOnly))!
    t.equal(second.status, 'applied')
    t.equal(second.commit, sha('m'), 'the merge commit is the commit of an event that had none')

    const last = await store.lastApplied([KEY])
    t.match(last.get('orders\u0000prod\u0000' + IMAGE), { tag: '1.2.0', eventId: prodOnly })
    t.same(await store.openProposals(), [])
    t.same(await store.proposals([KEY]), new Map([['orders\u0000prod\u0000' + IMAGE, { declined: [] }]]), 'a merged PR is neither open nor declined')

    t.same(await store.endProposal('orders', 'prod', 3, merged, new Date(Date.now() + 1000)), [], 'a second end changes nothing')
    t.same(await store.endProposal('orders', 'prod', 3, { state: 'closed', closedAt: '2026-11-25T12:00:00.000Z' }, new Date()), [])
    t.same(await store.get(both), first)
    t.same(await store.endProposal('orders', 'prod', 99, merged, new Date()), [], 'an unknown PR is no change')
  })

  t.test(`${name}: a close declines the carried events; the value is declined for the planner; prune keeps what waits`, async (t) => {
    const store = await open(t)
    const old = new Date(Date.now() - 40 * DAY)
    const declined = await decided(store, '1.3.0', [target('prod', 'proposed', '1.3.0', pr(9))], { at: old })
    const waiting = await decided(store, '1.4.0', [target('prod', 'proposed', '1.4.0', pr(10))], { at: old })
    await store.recordProposal(proposal(9, [{ id: declined, tag: '1.3.0' }]), new Date())
    const changed = await store.endProposal('orders', 'prod', 9, { state: 'closed', closedAt: '2026-11-25T12:00:00.000Z' }, new Date())
    t.same(changed.map((r) => r.id), [declined])
    t.equal(changed[0]!.status, 'declined')
    t.match(prodOf(changed[0]!), { status: 'declined', code: 'declined', decision: 'skip', pullRequest: { number: 9, state: 'closed' } })
    t.match((await store.proposals([KEY])).get('orders\u0000prod\u0000' + IMAGE), { open: undefined, declined: [{ tag: '1.3.0', eventId: declined }] })
    t.same(await store.endProposal('orders', 'prod', 9, { state: 'closed', closedAt: '2026-11-25T12:00:00.000Z' }, new Date()), [])
    t.same(await store.lastApplied([KEY]), new Map(), 'nothing was deployed')

    t.equal(await store.prune(new Date(Date.now() - 30 * DAY)), 1, 'the declined event is final')
    t.equal(await store.get(declined), null)
    t.equal((await store.get(waiting))!.status, 'proposed', 'a proposed event is never pruned')
  })

  t.test(`${name}: a new pull request after the old one closed unseen: dropped events are superseded, carried ones follow the new PR`, async (t) => {
    const store = await open(t)
    const dropped = await decided(store, '1.1.0', [target('prod', 'proposed', '1.1.0', pr(1))])
    const carried = await decided(store, '1.1.1', [target('prod', 'proposed', '1.1.1', pr(1))])
    await store.recordProposal(proposal(1, [{ id: dropped, tag: '1.1.0' }, { id: carried, tag: '1.1.1' }]), new Date())
    const fresh = await decided(store, '1.2.0', [target('prod', 'proposed', '1.2.0', pr(2))])
    await store.recordProposal(proposal(2, [{ id: carried, tag: '1.1.1' }, { id: fresh, tag: '1.2.0' }]), new Date())
    t.equal((await store.get(dropped))!.status, 'superseded')
    t.equal(prodOf(await store.get(carried)).pullRequest!.number, 2)
    t.equal((await store.proposals([KEY])).get('orders\u0000prod\u0000' + IMAGE)!.open!.pullRequest.number, 2, 'the newest open row is the proposal')

    await store.endProposal('orders', 'prod', 1, { state: 'closed', closedAt: '2026-11-25T12:00:00.000Z' }, new Date())
    t.equal((await store.get(carried))!.status, 'proposed', "the old PR's end does not end a change the new one carries")
    t.equal((await store.get(dropped))!.status, 'superseded')
    t.same((await store.openProposals()).map((p) => p.pullRequest.number), [2])
  })

  t.test(`${name}: a batch written after its pull request already merged (auto-merge) reads applied`, async (t) => {
    const store = await open(t)
    const event: BuildEvent = { source: 'acme/orders-api', image: IMAGE, tag: '2.0.0', ref: 'refs/heads/main' }
    const { id } = await store.accept({ source: 'acme/orders-api', deliveryId: 'd-auto', event, receivedAt: new Date() })
    await store.recordProposal(proposal(5, [{ id, tag: '2.0.0' }]), new Date())
    await store.endProposal('orders', 'prod', 5, { state: 'merged', mergeCommit: sha('a'), mergedAt: '2026-11-25T11:00:00.000Z' }, new Date())
    await store.finish([{ kind: 'final', outcome: { id, status: 'proposed', targets: [target('prod', 'proposed', '2.0.0', pr(5))] } }], [], new Date())
    const r = (await store.get(id))!
    t.equal(r.status, 'applied')
    t.equal(r.commit, sha('a'))
    t.match(prodOf(r), { status: 'applied', pullRequest: { number: 5, state: 'merged' } })
    t.match((await store.lastApplied([KEY])).get('orders\u0000prod\u0000' + IMAGE), { tag: '2.0.0' })
  })

  t.test(`${name}: an event whose targets name two pull requests has none of its own`, async (t) => {
    const store = await open(t)
    const other = { ...target('prod', 'proposed', '1.1.0', pr(12)), service: 'payments' }
    const id = await decided(store, '1.1.0', [target('prod', 'proposed', '1.1.0', pr(11)), other])
    t.equal((await store.get(id))!.pullRequest, undefined)
    t.equal(prodOf(await store.get(id)).pullRequest!.number, 11)
  })
}
