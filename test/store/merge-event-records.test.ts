import t from 'tap'
import type { TargetOutcome } from '../../src/core/change-set.js'
import { mergeEventRecords } from '../../src/store/merge-event-records.js'
import type { EventRecord } from '../../src/store/store.js'

const target = (service: string, code: string, decision: TargetOutcome['decision'] = 'update'): TargetOutcome => ({ service, environment: 'dev', file: null, image: 'ghcr.io/acme/api', decision, code, reason: code })

function record(over: Partial<EventRecord>): EventRecord {
  return {
    id: '01JAAAAAAAAAAAAAAAAAAAAAAA',
    source: 'acme/api',
    deliveryId: 'd1',
    event: { source: 'acme/api', image: 'ghcr.io/acme/api', tag: '1.0.0' },
    receivedAt: '2026-11-30T10:00:00.000Z',
    status: 'queued',
    attempts: 0,
    targets: [],
    updatedAt: '2026-11-30T10:00:00.000Z',
    ...over,
  }
}

t.test('one repo: its record as it is', async (t) => {
  const r = record({ status: 'applied', commit: 'c1' })
  t.equal(mergeEventRecords([{ repo: 'a', record: r }]), r)
  t.equal(mergeEventRecords([]), null)
})

t.test("a repo with no service for the image says nothing beside one that has", async (t) => {
  const m = mergeEventRecords([
    { repo: 'a', record: record({ status: 'skipped', code: 'no-target', reason: 'no service deploys ghcr.io/acme/api' }) },
    { repo: 'b', record: record({ status: 'applied', commit: 'c2', targets: [target('api', 'updated')], updatedAt: '2026-11-30T10:00:05.000Z' }) },
  ])!
  t.match(m, { status: 'applied', commit: 'c2', commitRepo: 'b', updatedAt: '2026-11-30T10:00:05.000Z' })
  t.same(m.targets.map((x) => [x.repo, x.service]), [['b', 'api']])
  t.equal(m.code, undefined)
  const none = mergeEventRecords([
    { repo: 'a', record: record({ status: 'skipped', code: 'no-target' }) },
    { repo: 'b', record: record({ status: 'skipped', code: 'no-target' }) },
  ])!
  t.match(none, { status: 'skipped', code: 'no-target' }, 'no repo has it: skipped, no-target')
})

t.test('the status that still needs something speaks for the event', async (t) => {
  const applied = record({ status: 'applied', commit: 'c1', targets: [target('api', 'updated')] })
  const cases: [EventRecord['status'], string][] = [
    ['queued', 'queued'],
    ['failed', 'failed'],
    ['dead', 'dead'],
    ['rejected', 'rejected'],
    ['proposed', 'proposed'],
    ['skipped', 'applied'],
    ['superseded', 'applied'],
  ]
  for (const [other, want] of cases) {
    const m = mergeEventRecords([
      { repo: 'a', record: applied },
      { repo: 'b', record: record({ status: other, code: `${other}-code`, attempts: 3, targets: [target('web', 'x')] }) },
    ])!
    t.equal(m.status, want, `applied + ${other}`)
    t.equal(m.commit, 'c1', `applied + ${other}: the commit is kept`)
    t.equal(m.attempts, 3)
    t.equal(m.targets.length, 2)
    if (want !== 'applied') t.equal(m.code, `${other}-code`, 'the code of the status shown')
  }
  const failed = mergeEventRecords([
    { repo: 'a', record: record({ status: 'failed', nextAttemptAt: '2026-11-30T10:05:00.000Z' }) },
    { repo: 'b', record: record({ status: 'failed', nextAttemptAt: '2026-11-30T10:01:00.000Z' }) },
  ])!
  t.equal(failed.nextAttemptAt, '2026-11-30T10:01:00.000Z', 'the earliest retry')
})

t.test('a repo that has not planned the event yet (its remote is down) does not hold back what another delivered', async (t) => {
  const m = mergeEventRecords([
    { repo: 'a', record: record({ status: 'applied', commit: 'c1', targets: [target('api', 'updated')] }) },
    { repo: 'b', record: record({ status: 'failed', code: 'GIT_REMOTE', attempts: 4 }) },
  ])!
  t.equal(m.status, 'applied')
  t.equal(m.commit, 'c1')
  const both = mergeEventRecords([
    { repo: 'a', record: record({ status: 'queued' }) },
    { repo: 'b', record: record({ status: 'failed', code: 'GIT_REMOTE' }) },
  ])!
  t.equal(both.status, 'failed', 'no repo decided: the pending statuses speak')
  const planned = mergeEventRecords([
    { repo: 'a', record: record({ status: 'applied', commit: 'c1', targets: [target('api', 'updated')] }) },
    { repo: 'b', record: record({ status: 'failed', code: 'YAML_INVALID', targets: [target('web', 'YAML_INVALID', 'skip')] }) },
  ])!
  t.equal(planned.status, 'failed', 'a repo that planned it and failed still speaks')
})
