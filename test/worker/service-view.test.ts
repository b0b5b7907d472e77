import t from 'tap'
import { statusTable } from '../../src/cli/status.js'
import type { Deployment, ProposalRecord } from '../../src/store/store.js'
import { parseWindows } from '../../src/windows/deploy-windows.js'
import { serviceView, viewKey, type ServiceState } from '../../src/worker/service-view.js'

/** What runs where, pure: the repo's values at a head, the latest deployment per target and the open pull requests in; rows, then a table, out. */
const sha = (c: string) => c.repeat(40)
const IMAGE = 'ghcr.io/acme/orders-api'

const dep = (environment: string, tag: string, over: Partial<Deployment> = {}): Deployment => ({
  eventId: `e-${environment}-${tag}`, service: 'orders-api', environment, image: IMAGE, to: tag, tag, builtAt: '2026-11-25T09:00:00.000Z',
  commit: sha('c'), appliedAt: '2026-11-25T10:00:00.000Z', sourceCommit: sha('5'), ...over,
})

const proposal = (environment: string, tag: string, number: number, updatedAt: string): ProposalRecord => ({
  service: 'orders-api', environment, image: IMAGE, branch: `infra-sync/orders-api/${environment}`, pullRequest: { number, url: `https://github.com/acme/infra/pull/${number}`, state: 'open' },
  headSha: sha('h'), contentKey: 'k', value: { tag, builtAt: updatedAt, eventId: `e-${tag}` }, changes: [], eventIds: [], openedAt: updatedAt, updatedAt,
})

const states: ServiceState[] = [
  {
    service: 'orders-api',
    image: IMAGE,
    targets: [
      { environment: 'dev', update: 'commit', policy: 'semver', file: 'services/orders-api/overlays/dev/kustomization.yaml', tag: '1.6.0' },
      { environment: 'staging', update: 'commit', policy: 'semver', file: 'services/orders-api/overlays/staging/kustomization.yaml', tag: '1.5.0', markerPin: true },
      { environment: 'prod', update: 'pull-request', policy: 'semver:>=1.0.0', file: 'services/orders-api/overlays/prod/kustomization.yaml', tag: '1.4.1', pin: '1.4.1' },
      { environment: 'qa', update: 'commit', policy: 'semver', problem: { code: 'TARGET_MISSING', message: 'services/orders-api/overlays/qa does not exist' } },
    ],
  },
  { service: 'broken', error: { code: 'CONFIG_INVALID', message: 'services/broken/infra-sync.yaml: image is required' }, targets: [] },
]

t.test('rows: the value now, since when and by what when the history set it; pins, mode, policy and the newest open PR', async (t) => {
  const latest = new Map([
    [viewKey('orders-api', 'dev'), dep('dev', '1.6.0', { commit: sha('d') })],
    // The history says 1.4.0, the file says 1.5.0: a person set it; the history does not say since when.
    [viewKey('orders-api', 'staging'), dep('staging', '1.4.0')],
    [viewKey('orders-api', 'prod'), dep('prod', '1.4.1', { commit: sha('m'), pullRequest: { number: 7, url: 'https://github.com/acme/infra/pull/7' }, mergedBy: 'octocat', kind: 'rollback' })],
  ])
  const open = [proposal('prod', '1.5.0', 8, '2026-11-25T11:00:00.000Z'), proposal('prod', '1.6.0', 9, '2026-11-25T12:00:00.000Z')]
  const rows = serviceView(states, latest, open)
  t.same(rows.map((r) => `${r.service}/${r.environment ?? '-'}`), ['orders-api/dev', 'orders-api/staging', 'orders-api/prod', 'orders-api/qa', 'broken/-'])
  t.match(rows[0], { value: '1.6.0', recorded: true, since: '2026-11-25T10:00:00.000Z', commit: sha('d'), kind: 'deploy', sourceCommit: sha('5'), update: 'commit', policy: 'semver' })
  t.notOk(rows[0]!.pin, 'not pinned')
  t.notOk(rows[0]!.openPullRequest)
  t.match(rows[1], { value: '1.5.0', recorded: false, pin: { by: 'marker' } })
  t.equal(rows[1]!.since, undefined, 'a value the history did not set has no since')
  t.equal(rows[1]!.commit, undefined)
  t.match(rows[2], { value: '1.4.1', recorded: true, commit: sha('m'), pullRequest: { number: 7 }, mergedBy: 'octocat', kind: 'rollback', pin: { by: 'config', value: '1.4.1' }, update: 'pull-request' })
  t.match(rows[2]!.openPullRequest, { number: 9, value: '1.6.0' }, 'the newest open pull request')
  t.match(rows[3], { environment: 'qa', recorded: false, error: { code: 'TARGET_MISSING' } })
  t.equal(rows[3]!.value, undefined)
  t.same(rows[4], { service: 'broken', recorded: false, error: { code: 'CONFIG_INVALID', message: 'services/broken/infra-sync.yaml: image is required' } })
})

t.test('a digest decides when both sides have one; no history: not recorded', async (t) => {
  const d = (digest: string) => ({ ...dep('dev', '1.6.0'), digest, to: `1.6.0@${digest}` })
  const one: ServiceState[] = [{ service: 'orders-api', image: IMAGE, targets: [{ environment: 'dev', update: 'commit', policy: 'semver', tag: '1.6.0', digest: 'sha256:aa' }] }]
  t.equal(serviceView(one, new Map([[viewKey('orders-api', 'dev'), d('sha256:aa')]]), [])[0]!.recorded, true)
  t.equal(serviceView(one, new Map([[viewKey('orders-api', 'dev'), d('sha256:bb')]]), [])[0]!.recorded, false, 'same tag, another digest: rebuilt and set by hand')
  t.match(serviceView(one, new Map(), [])[0], { value: '1.6.0@sha256:aa', recorded: false })
})

t.test('the table: a line per service × environment, by commit or PR, refused services with their code', async (t) => {
  const latest = new Map([
    [viewKey('orders-api', 'dev'), dep('dev', '1.6.0', { commit: sha('d') })],
    [viewKey('orders-api', 'prod'), dep('prod', '1.4.1', { commit: sha('m'), pullRequest: { number: 7, url: 'https://github.com/acme/infra/pull/7' } })],
  ])
  const lines = statusTable(serviceView(states, latest, [proposal('prod', '1.6.0', 9, '2026-11-25T12:00:00.000Z')])).trimEnd().split('\n')
  t.match(lines[0], /^SERVICE\s+ENV\s+VALUE\s+SINCE\s+BY\s+PIN\s+MODE\s+POLICY\s+OPEN PR$/)
  t.match(lines[1], new RegExp(`^orders-api\\s+dev\\s+1\\.6\\.0\\s+2026-11-25T10:00:00Z\\s+${'d'.repeat(12)}\\s+-\\s+commit\\s+semver\\s+-$`))
  t.match(lines[2], /^orders-api\s+staging\s+1\.5\.0\s+-\s+not infra-sync\s+marker\s+commit\s+semver\s+-$/)
  t.match(lines[3], /^orders-api\s+prod\s+1\.4\.1\s+2026-11-25T10:00:00Z\s+PR #7\s+1\.4\.1\s+pull-request\s+semver:>=1\.0\.0\s+#9 → 1\.6\.0$/)
  t.match(lines[4], /^orders-api\s+qa\s+\[TARGET_MISSING\]\s+-\s+-\s+-\s+commit/)
  t.match(lines[5], /^broken\s+-\s+\[CONFIG_INVALID\]/)
  const several = statusTable([{ service: 'a', environment: 'dev', value: '1', recorded: false, repo: 'team-a' }]).split('\n')
  t.match(several[0], /^REPO\s+SERVICE\s+ENV/, 'several repos: each row names its repo')
  t.match(several[1], /^team-a\s+a\s+dev\s+1\s/)
})

t.test('a pin set through the API shows where git holds none; a pin in git comes first', async (t) => {
  const pins = [
    { service: 'orders-api', environment: 'dev', value: '1.5.0', kind: 'rollback' as const, reason: '500s', createdAt: '2026-11-30T10:00:00.000Z' },
    { service: 'orders-api', environment: 'prod', kind: 'manual' as const, createdAt: '2026-11-30T10:00:00.000Z' },
  ]
  const rows = serviceView(states, new Map(), [], pins)
  t.same(rows.find((r) => r.environment === 'dev')?.pin, { by: 'api', kind: 'rollback', value: '1.5.0', reason: '500s' })
  t.same(rows.find((r) => r.environment === 'prod')?.pin, { by: 'config', value: '1.4.1' }, "infra-sync.yaml's pin is shown, not the API's")
  t.match(statusTable(rows), /1\.5\.0 \(rollback\)/)
})

t.test("deploy windows: each row says whether its own, its service's or the server's windows are open at the given moment", async (t) => {
  // Weekdays 09:00-17:00 Berlin on the server; prod has its own deny that is always on; qa names an empty list (no windows).
  const server = parseWindows([{ kind: 'allow', schedule: '0 9 * * 1-5', duration: '8h', timeZone: 'Europe/Berlin' }], 'windows')
  const always = parseWindows([{ kind: 'deny', schedule: '* * * * *', duration: '1h' }], 'windows')
  const withWindows: ServiceState[] = [{ ...states[0]!, targets: states[0]!.targets.map((x) => (x.environment === 'prod' ? { ...x, windows: always } : x.environment === 'qa' ? { ...x, windows: [] } : x)) }, states[1]!]
  const saturday = new Date('2026-11-28T12:00:00Z')
  const rows = serviceView(withWindows, new Map(), [], [], { server, now: saturday })
  const of = (environment: string) => rows.find((r) => r.environment === environment)?.window
  t.same(of('dev'), { open: false, reason: 'outside-allow', nextOpenAt: '2026-11-30T08:00:00.000Z' }, "the server's window: closed until Monday 09:00 Berlin")
  t.same(of('prod'), { open: false, reason: 'deny' }, 'its own deny window, with no opening ahead')
  t.equal(of('qa'), undefined, 'an empty list of its own: no windows apply')
  t.equal(rows.find((r) => r.service === 'broken')?.window, undefined)
  t.same(serviceView(withWindows, new Map(), [], [], { server, now: new Date('2026-11-30T10:00:00Z') }).find((r) => r.environment === 'dev')?.window, { open: true })
  t.equal(serviceView(states, new Map(), [])[0]!.window, undefined, 'no windows given: none shown')

  const lines = statusTable(rows).trimEnd().split('\n')
  t.match(lines[0], /\sPOLICY\s+WINDOW\s+OPEN PR$/, 'a WINDOW column where some environment has windows')
  t.match(lines[1], /^orders-api\s+dev\s.*\sclosed until 2026-11-30T08:00:00Z\s+-$/)
  t.match(lines[3], /^orders-api\s+prod\s.*\sclosed\s+-$/)
  t.notMatch(statusTable(serviceView(states, new Map(), [])), /WINDOW/, 'none where no windows apply')
})
