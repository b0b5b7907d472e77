import fc from 'fast-check'
import semver from 'semver'
import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { PendingEvent } from '../../src/core/change-set.js'
import { YamlError } from '../../src/core/errors.js'
import { buildChangeSet, type AppliedRecord, type FileContent } from '../../src/plan/build-change-set.js'
import type { ValueOrigins } from '../../src/plan/human-values.js'
import { filesNeeded, matchEvent } from '../../src/plan/match-events.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { kustomization, MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

const IMG = 'ghcr.io/acme/orders-api'
const files: Record<string, string> = {
  ...serviceFiles('orders-api', `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n  prod: { update: pull-request }\n`, { dev: '1.4.1', prod: '1.4.0' }, IMG),
  ...serviceFiles('payments', 'source: acme/payments\nimage: ghcr.io/acme/payments\nbranches: [main, "release/*"]\n', { dev: 'main-aaa', staging: 'main-bbb' }, 'ghcr.io/acme/payments'),
}

let n = 0
function pending(event: Partial<BuildEvent> & { tag?: string }, receivedAt = '2026-11-25T10:00:00.000Z'): PendingEvent {
  n++
  return { id: `E${String(n).padStart(3, '0')}`, receivedAt, event: { source: 'acme/orders-api', image: IMG, ref: 'refs/heads/main', ...event } as BuildEvent }
}

async function plan(events: PendingEvent[], opts: { files?: Record<string, string>; history?: Record<string, AppliedRecord>; broken?: string; origins?: ValueOrigins } = {}) {
  const all = opts.files ?? files
  const registry = await loadRegistry(new MemoryTree(all))
  const matched = events.map((e) => matchEvent(e, registry))
  const contents = new Map<string, FileContent>()
  for (const p of filesNeeded(matched)) contents.set(p, p === opts.broken ? { error: new YamlError('YAML_INVALID', `${p}: invalid`) } : all[p] === undefined ? null : { text: all[p]! })
  return buildChangeSet(matched, contents, (s, e, i) => opts.history?.[`${s}/${e}/${i}`], { pullRequests: false }, opts.origins)
}

t.test('a new build updates the commit environments; pull-request ones wait for a forge', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2', commit: 'a'.repeat(40) })])
  t.equal(cs.edits.length, 1)
  t.equal(cs.edits[0]!.path, 'services/orders-api/overlays/dev/kustomization.yaml')
  t.match(cs.edits[0]!.after, /newTag: 1\.4\.2/)
  t.same(cs.edits[0]!.changes.map((c) => [c.service, c.environment, c.from, c.to]), [['orders-api', 'dev', '1.4.1', '1.4.2']])
  const o = cs.outcomes[0]!
  t.equal(o.status, 'applied')
  t.same(o.targets.map((x) => [x.environment, x.decision, x.code]), [
    ['dev', 'update', 'updated'],
    ['prod', 'skip', 'pull-request-unavailable'],
  ])
})

t.test('decisions without a change carry a code and a reason', async (t) => {
  const cs = await plan([
    pending({ tag: '1.4.1' }),
    pending({ tag: '1.4.0' }),
    pending({ tag: 'not-semver' }),
    pending({ tag: '1.5.0', ref: 'refs/heads/feature/x' }),
    pending({ tag: '1.5.0', ref: undefined }),
    pending({ tag: '1.5.0', source: 'acme/evil' }),
    pending({ tag: '1.5.0', image: 'ghcr.io/acme/unknown' }),
    pending({ tag: '1.5.0', image: 'ghcr.io/acme/orders-api-worker' }),
  ])
  t.equal(cs.edits.length, 0)
  const summary = cs.outcomes.map((o) => [o.status, o.code])
  t.same(summary, [
    ['skipped', 'mixed'],
    ['skipped', 'mixed'],
    ['skipped', 'policy-filtered'],
    ['skipped', 'branch-filtered'],
    ['skipped', 'branch-filtered'],
    ['rejected', 'source-mismatch'],
    ['skipped', 'no-target'],
    ['skipped', 'no-target'],
  ])
  t.same(cs.outcomes[0]!.targets.map((x) => x.code), ['already-current', 'pull-request-unavailable'])
  t.same(cs.outcomes[1]!.targets.map((x) => x.code), ['older', 'already-current'])
  t.match(cs.outcomes[1]!.targets[0]!.reason, /1\.4\.0 is not newer than 1\.4\.1/)
  t.match(cs.outcomes[5]!.reason, /acme\/evil is not the source of services\/orders-api/)
})

t.test('a batch is applied in order: later events see earlier edits, superseded ones are recorded', async (t) => {
  const cs = await plan([pending({ tag: '1.4.2' }), pending({ tag: '1.5.0' }), pending({ tag: '1.4.3' })])
  t.equal(cs.edits.length, 1)
  t.match(cs.edits[0]!.after, /newTag: 1\.5\.0/)
  t.same(cs.edits[0]!.changes.map((c) => [c.from, c.to]), [['1.4.1', '1.5.0']])
  t.same(cs.outcomes.map((o) => [o.status, o.targets[0]!.code]), [
    ['skipped', 'superseded'],
    ['applied', 'updated'],
    ['skipped', 'older'],
  ])
})

t.test('several services in one batch give one edit each', async (t) => {
  const cs = await plan([
    pending({ tag: '1.4.2' }),
    pending({ source: 'acme/payments', image: 'ghcr.io/acme/payments', tag: 'main-ccc', builtAt: '2026-11-25T11:00:00.000Z' }),
  ])
  t.same(cs.edits.map((e) => e.path).sort(), [
    'services/orders-api/overlays/dev/kustomization.yaml',
    'services/payments/overlays/dev/kustomization.yaml',
    'services/payments/overlays/staging/kustomization.yaml',
  ])
})

t.test('never older than what infra-sync applied, even after a human changed the file', async (t) => {
  const history = { 'payments/dev/ghcr.io/acme/payments': { tag: 'main-zzz', builtAt: '2026-11-25T12:00:00.000Z', eventId: 'OLD' } }
  const ev = (tag: string, builtAt: string) => pending({ source: 'acme/payments', image: 'ghcr.io/acme/payments', tag, builtAt })
  const older = await plan([ev('main-ccc', '2026-11-25T11:00:00.000Z')], { history })
  t.same(older.outcomes[0]!.targets.map((x) => [x.environment, x.code]), [
    ['dev', 'older'],
    ['staging', 'updated'],
  ])
  const newer = await plan([ev('main-ddd', '2026-11-25T13:00:00.000Z')], { history })
  t.same(newer.outcomes[0]!.targets.map((x) => x.code), ['updated', 'updated'])
})

t.test('builds of other branches, when allowed by glob', async (t) => {
  const cs = await plan([pending({ source: 'acme/payments', image: 'ghcr.io/acme/payments', tag: 'rel-1', ref: 'refs/heads/release/2026.11' })])
  t.equal(cs.outcomes[0]!.status, 'applied')
})

t.test('a file that cannot be read fails its event only; the rest of the batch goes on', async (t) => {
  const cs = await plan(
    [pending({ tag: '1.4.2' }), pending({ source: 'acme/payments', image: 'ghcr.io/acme/payments', tag: 'main-ccc', builtAt: '2026-11-25T11:00:00.000Z' })],
    { broken: 'services/orders-api/overlays/dev/kustomization.yaml' },
  )
  t.same(cs.outcomes.map((o) => [o.status, o.code]), [
    ['failed', 'YAML_INVALID'],
    ['applied', undefined],
  ])
  t.same(cs.edits.map((e) => e.path).sort(), ['services/payments/overlays/dev/kustomization.yaml', 'services/payments/overlays/staging/kustomization.yaml'])
})

t.test('a failing event leaves no partial edit behind', async (t) => {
  const two = {
    ...files,
    'services/orders-api/infra-sync.yaml': `source: acme/orders-api\nimage: ${IMG}\n`,
    'services/orders-api/overlays/prod/kustomization.yaml': 'images: [unclosed\n',
  }
  const cs = await plan([pending({ tag: '1.4.2' })], { files: two })
  t.equal(cs.outcomes[0]!.status, 'failed')
  t.equal(cs.outcomes[0]!.code, 'YAML_INVALID')
  t.equal(cs.edits.length, 0, 'dev was not edited either')
})

t.test('missing environment folder or file', async (t) => {
  const f = { ...files, 'services/orders-api/infra-sync.yaml': `source: acme/orders-api\nimage: ${IMG}\nenvironments:\n  qa: {}\n` }
  const cs = await plan([pending({ tag: '1.4.2' })], { files: f })
  t.same(cs.outcomes[0]!.targets.map((x) => [x.environment, x.code]), [['qa', 'target-missing']])
  t.equal(cs.outcomes[0]!.status, 'skipped')
})

t.test('a folder of manifests: every file that deploys the image is edited, the others are passed over', async (t) => {
  const dep = (tag: string) => `kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: ${IMG}:${tag}\n`
  const f: Record<string, string> = {
    'services/orders-api/infra-sync.yaml': `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\n`,
    'services/orders-api/overlays/dev/api.yaml': dep('1.4.1'),
    'services/orders-api/overlays/dev/worker.yaml': dep('1.4.0'),
    'services/orders-api/overlays/dev/service.yaml': 'kind: Service\nspec: {}\n',
    'services/orders-api/overlays/prod/service.yaml': 'kind: Service\nspec: {}\n',
  }
  const cs = await plan([pending({ tag: '1.4.2' }), pending({ tag: '1.4.3' })], { files: f })
  t.same(cs.edits.map((e) => e.path).sort(), ['services/orders-api/overlays/dev/api.yaml', 'services/orders-api/overlays/dev/worker.yaml'])
  for (const e of cs.edits) t.equal(e.after, e.before.replace(/:1\.4\.[01]\n/, ':1.4.3\n'))
  t.same(cs.edits.find((e) => e.path.endsWith('worker.yaml'))!.changes.map((c) => [c.from, c.to]), [['1.4.0', '1.4.3']], 'the first value of the batch is the from')
  t.same(
    cs.outcomes[1]!.targets.map((x) => [x.environment, x.file, x.code]),
    [
      ['dev', 'services/orders-api/overlays/dev/api.yaml', 'updated'],
      ['dev', 'services/orders-api/overlays/dev/worker.yaml', 'updated'],
      ['prod', 'services/orders-api/overlays/prod/service.yaml', 'image-not-found'],
    ],
  )
  t.equal(cs.outcomes[0]!.targets.filter((x) => x.code === 'superseded').length, 2)
})

t.test('pins: in infra-sync.yaml or on the value line, a human decision no build overrides', async (t) => {
  const cfg = `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n  staging: { pin: true }\n  prod: { pin: 1.4.0 }\n`
  const f: Record<string, string> = {
    ...serviceFiles('orders-api', cfg, { dev: '1.4.1', staging: '1.4.1', prod: '1.4.0' }, IMG),
  }
  f['services/orders-api/overlays/dev/kustomization.yaml'] = `images:\n- name: ${IMG}\n  newTag: 1.4.1 # infra-sync: pin\n`
  const cs = await plan([pending({ tag: '1.5.0' })], { files: f })
  t.equal(cs.edits.length, 0)
  t.same(cs.outcomes[0]!.targets.map((x) => [x.environment, x.code]), [
    ['dev', 'pinned'],
    ['staging', 'pinned'],
    ['prod', 'pinned'],
  ])
  t.equal(cs.outcomes[0]!.status, 'skipped')
  t.equal(cs.outcomes[0]!.code, 'pinned')
})

t.test('a rollback by a human is not overridden by a late or repeated build', async (t) => {
  // infra-sync applied 1.4.2; a human reverted dev to 1.4.1 in git.
  const history = { [`orders-api/dev/${IMG}`]: { tag: '1.4.2', builtAt: '2026-11-25T09:00:00.000Z', eventId: 'E000' } }
  const cs = await plan([pending({ tag: '1.4.2' }), pending({ tag: '1.4.1' })], { history })
  t.equal(cs.edits.length, 0)
  t.same(cs.outcomes.map((o) => o.targets.find((x) => x.environment === 'dev')!.code), ['older', 'already-current'])
  const newer = await plan([pending({ tag: '1.4.3' })], { history })
  t.match(newer.edits[0]!.after, /newTag: 1\.4\.3/, 'a newer build still deploys')
})

t.test('a variant is replaced only by the same variant', async (t) => {
  const f: Record<string, string> = {
    ...serviceFiles('orders-api', `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n`, { dev: '1.2.3-alpine' }, IMG),
  }
  const cs = await plan([pending({ tag: '1.2.4' }), pending({ tag: '1.2.4-alpine' })], { files: f })
  t.same(cs.outcomes.map((o) => o.targets[0]!.code), ['incompatible', 'updated'])
  t.match(cs.edits[0]!.after, /newTag: 1\.2\.4-alpine/)
})

t.test('plain semver: a stable environment is not moved to a prerelease; a prerelease one moves within its version or to stable', async (t) => {
  const f: Record<string, string> = {
    ...serviceFiles('orders-api', `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n  canary: {}\n`, { dev: '1.10.0', canary: '2.0.0-rc.1' }, IMG),
  }
  const rc = await plan([pending({ tag: '2.0.0-rc.2' })], { files: f })
  t.same(rc.outcomes[0]!.targets.map((x) => [x.environment, x.code]), [
    ['dev', 'prerelease'],
    ['canary', 'updated'],
  ])
  t.match(rc.outcomes[0]!.targets[0]!.reason, /2\.0\.0-rc\.2 is a prerelease/)
  const cs = await plan([pending({ tag: '2.1.0-rc.1' }), pending({ tag: 'v1.11.0' }), pending({ tag: '2.0.0' })], { files: f })
  t.same(
    cs.outcomes.map((o) => o.targets.map((x) => x.code)),
    [
      ['prerelease', 'prerelease'],
      ['superseded', 'older'],
      ['updated', 'updated'],
    ],
    'v1.11.0 went in, then 2.0.0 replaced it in the same commit',
  )
  t.match(cs.edits.find((e) => e.path.includes('/dev/'))!.after, /newTag: 2\.0\.0\n/)
  t.match(cs.edits.find((e) => e.path.includes('/canary/'))!.after, /newTag: 2\.0\.0\n/)
})

t.test('newest-build: a value a human committed is as new as its commit; a late, older build does not replace it', async (t) => {
  const PAY = 'ghcr.io/acme/payments'
  const DEV = 'services/payments/overlays/dev/kustomization.yaml'
  const f = { ...files, [DEV]: kustomization(PAY, 'main-human') }
  // infra-sync last applied main-zzz (11:00); a human then committed main-human at 12:00.
  const history = { [`payments/dev/${PAY}`]: { tag: 'main-zzz', builtAt: '2026-11-25T11:00:00.000Z', eventId: 'OLD' } }
  const origins: ValueOrigins = (file, image, value) => (file === DEV && image === PAY && value === 'main-human' ? { commit: 'ab'.repeat(20), committedAt: '2026-11-25T12:00:00.000Z', exact: true } : undefined)
  const ev = (tag: string, builtAt?: string, receivedAt?: string) => pending({ source: 'acme/payments', image: PAY, tag, ...(builtAt && { builtAt }) }, receivedAt)
  const dev = async (e: PendingEvent) => (await plan([e], { files: f, history, origins })).outcomes[0]!.targets.find((x) => x.environment === 'dev')!
  const late = await dev(ev('main-late', '2026-11-25T11:30:00.000Z'))
  t.equal(late.code, 'older', 'newer than what infra-sync applied, older than the human commit')
  t.match(late.reason, /main-late \(built 2026-11-25T11:30:00\.000Z\) is not newer than main-human, committed 2026-11-25T12:00:00\.000Z \(abababababab\)/)
  t.equal((await dev(ev('main-new', '2026-11-25T12:30:00.000Z'))).code, 'updated')
  // Without builtAt a build is ordered by when it arrived.
  t.equal((await dev(ev('main-queued', undefined, '2026-11-25T11:45:00.000Z'))).code, 'older', 'accepted before the human commit')
  t.equal((await dev(ev('main-after', undefined, '2026-11-25T12:15:00.000Z'))).code, 'updated', 'accepted after it')
})

t.test('property: plain semver through the planner never moves a stable environment to a prerelease, nor down', async (t) => {
  const tag = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom('', '', '-rc.1', '-rc.2', '-beta.3')).map(([a, b, pre]) => `1.${a}.${b}${pre}`)
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('1.1.1', '1.1.1-rc.1'), fc.array(tag, { minLength: 1, maxLength: 8 }), async (start, tags) => {
      const f = serviceFiles('orders-api', `source: acme/orders-api\nimage: ${IMG}\npolicy: semver\nenvironments:\n  dev: {}\n`, { dev: start }, IMG)
      const cs = await plan(tags.map((tg) => pending({ tag: tg })), { files: f })
      // Every update of the batch, in order (superseded ones were updates when they were planned).
      let value = start
      for (const o of cs.outcomes) {
        const x = o.targets[0]!
        if (x.code !== 'updated' && x.code !== 'superseded') continue
        const v = semver.parse(x.to)!
        if (!semver.gt(v, value)) return false
        if (v.prerelease.length > 0 && (semver.parse(start)!.prerelease.length === 0 || `${v.major}.${v.minor}.${v.patch}` !== '1.1.1')) return false
        value = x.to!
      }
      return true
    }),
    { numRuns: 150 },
  )
  t.pass('only up, and stable stays stable')
})
