import t from 'tap'
import type { EventOutcome, TargetOutcome } from '../../src/core/change-set.js'
import type { Registry, Service } from '../../src/projects/registry.js'
import type { NewMessage } from '../../src/store/outbox.js'
import type { EventRecord, ProposalRecord } from '../../src/store/store.js'
import { notifyMerged, notifyOutcomes } from '../../src/worker/notify-outcomes.js'

const service = (name: string, notify: string[]): Service => ({ name, dir: `services/${name}`, oid: 'x', config: { source: `acme/${name}`, image: `ghcr.io/acme/${name}`, imageAsWritten: `ghcr.io/acme/${name}`, branches: ['main'], policy: 'semver', environments: null, imagePolicies: [], notify }, error: null, targets: [] })
const registry: Registry = { services: new Map([['api', service('api', ['ops', 'audit'])], ['quiet', service('quiet', [])]]), byImage: new Map(), configs: new Map() }
const target = (svc: string, over: Partial<TargetOutcome>): TargetOutcome => ({ service: svc, environment: 'dev', file: null, image: `ghcr.io/acme/${svc}`, from: '1.0.0', to: '1.0.1', decision: 'update', code: 'updated', reason: 'r', ...over })
const record = (id: string, over: Partial<EventRecord['event']> = {}): EventRecord => ({ id, source: 'acme/api', deliveryId: id, event: { source: 'acme/api', image: 'ghcr.io/acme/api', tag: '1.0.1', commit: 'c'.repeat(40), buildUrl: 'https://ci/1', ...over }, receivedAt: '', status: 'queued', attempts: 0, targets: [], updatedAt: '' })
const log = { info() {}, warn() {}, error() {}, debug() {} }

function deps() {
  const added: NewMessage[] = []
  return { added, d: { store: { outbox: { add: async (m: readonly NewMessage[]) => void added.push(...m), due: async () => [], remove: async () => {}, retryLater: async () => {} } }, log, clock: () => new Date('2026-11-30T10:00:00Z'), registry: () => registry, commitUrl: (sha: string) => `https://git/commit/${sha}` } }
}

t.test('which outcomes make which notices, for the services that name targets', async (t) => {
  const { added, d } = deps()
  const outcomes: EventOutcome[] = [
    { id: 'e1', status: 'applied', targets: [target('api', { status: 'applied' }), target('quiet', { status: 'applied' })] },
    { id: 'e2', status: 'proposed', targets: [target('api', { environment: 'prod', update: 'pull-request', status: 'proposed', pullRequest: { number: 4, url: 'https://git/pull/4', state: 'open' } })] },
    { id: 'e3', status: 'skipped', targets: [target('api', { decision: 'skip', code: 'older' })] },
    { id: 'e4', status: 'failed', code: 'YAML_INVALID', reason: 'bad yaml', targets: [target('api', { decision: 'skip', code: 'YAML_INVALID' })] },
    { id: 'e5', status: 'applied', targets: [target('api', { status: 'applied' })] },
  ]
  await notifyOutcomes(d)([record('e1'), record('e2'), record('e3'), record('e4'), record('e5', { rollback: { service: 'api', environment: 'dev', request: 'r1' } })], outcomes, new Set(['e4']), 'abc')
  t.same(added.map((m) => `${m.target} ${m.key} ${m.notice.kind} ${m.notice.environment}`), ['ops api applied dev', 'audit api applied dev', 'ops api proposed prod', 'audit api proposed prod', 'ops api dead dev', 'audit api dead dev', 'ops api rolled-back dev', 'audit api rolled-back dev'])
  t.match(added[0]!.notice, { from: '1.0.0', to: '1.0.1', commitUrl: 'https://git/commit/abc', buildUrl: 'https://ci/1', sourceCommit: `acme/api@${'c'.repeat(40)}` })
  t.equal(added[2]!.notice.pullRequestUrl, 'https://git/pull/4')
  t.equal(added[4]!.notice.reason, 'bad yaml')
})

t.test('a merged pull request tells the service targets', async (t) => {
  const { added, d } = deps()
  const p = { service: 'api', environment: 'prod', image: 'ghcr.io/acme/api', pullRequest: { number: 4, url: 'https://git/pull/4', state: 'open' }, changes: [{ eventId: 'e2', service: 'api', environment: 'prod', image: 'ghcr.io/acme/api', from: '1.0.0', to: '1.0.1', builtAt: '' }], value: { tag: '1.0.1', builtAt: '', eventId: 'e2' } } as unknown as ProposalRecord
  await notifyMerged(d)(p, { number: 4, state: 'merged', mergeCommit: 'm1', mergedBy: 'octocat' } as never)
  t.same(added.map((m) => `${m.target} ${m.notice.kind} ${m.notice.from} → ${m.notice.to} ${m.notice.commitUrl}`), ['ops merged 1.0.0 → 1.0.1 https://git/commit/m1', 'audit merged 1.0.0 → 1.0.1 https://git/commit/m1'])
  await notifyMerged(d)({ ...p, service: 'quiet' }, { number: 5, state: 'merged' } as never)
  t.equal(added.length, 2, 'a service without notify is not told')
})
