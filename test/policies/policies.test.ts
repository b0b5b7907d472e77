import fc from 'fast-check'
import t from 'tap'
import { parsePolicy } from '../../src/policies/registry.js'
import { parseVersionTag } from '../../src/policies/version-tag.js'

/** Table tests: [a, b, expected compare(a, b)] with the tags people really push. */
const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00Z`

t.test('newest-build orders by build time, and cannot order without one', async (t) => {
  const p = parsePolicy('newest-build')
  t.equal(p.compare({ builtAt: at(2) }, { builtAt: at(1) }), 1)
  t.equal(p.compare({ builtAt: at(1) }, { builtAt: at(2) }), -1)
  t.equal(p.compare({ tag: 'sha-b', builtAt: at(1) }, { tag: 'sha-a', builtAt: at(1) }), 0)
  t.equal(p.compare({ builtAt: at(1) }, { tag: 'abc' }), null)
  t.same(p.accepts({ tag: 'main-abc' }), { ok: true })
  t.throws(() => parsePolicy('newest-build:x'), { code: 'CONFIG_INVALID' })
})

t.test('semver: tricky tags', async (t) => {
  const p = parsePolicy('semver')
  const table: [string, string, number | null][] = [
    ['1.10.0', '1.9.0', 1],
    ['1.10', '1.9', 1],
    ['1.10', '1.10.0', 0],
    ['2', '1.99.99', 1],
    ['v1.2.3', '1.2.3', 0],
    ['V2.0.0', 'v1.0.0', 1],
    ['1.0.0-rc.10', '1.0.0-rc.9', 1],
    ['1.0.0-rc.1', '1.0.0-beta.11', 1],
    ['1.0.0', '1.0.0-rc.1', 1],
    ['1.0.0-beta2', '1.0.0-beta10', -1],
    ['1.0.0-rc1', '1.0.0-rc.1', 0],
    ['01.02.03', '1.2.3', 0],
    ['2024.01.15', '2024.1.9', 1],
    ['1.2.4-alpine', '1.2.3-alpine', 1],
    ['1.2.4-alpine3.19', '1.2.4-alpine3.18', null],
    ['1.2.4', '1.2.3-alpine', null],
    ['1.2.4-alpine', '1.2.3', null],
    ['1.2.3+build.5', '1.2.3+build.4', 0],
    ['1.0.0', 'latest', null],
    ['1.0.0', '9fceb02', null],
  ]
  for (const [a, b, want] of table) t.equal(p.compare({ tag: a }, { tag: b }), want, `${a} vs ${b}`)
  for (const tag of ['latest', '9fceb02d0ae5', 'main-20240101', '1.2.3.4', '', 'v', '99999999999999999.0.0']) t.notOk(p.accepts({ tag }).ok, `${tag} is not a version`)
  for (const tag of ['1', '1.2', 'v1.2.3', '1.2.3-alpine', '2024.01.15']) t.ok(p.accepts({ tag }).ok, `${tag} is a version`)
})

t.test('semver: a variant replaces only the same variant (Renovate Docker versioning)', async (t) => {
  const p = parsePolicy('semver')
  t.ok(p.compatible!({ tag: '1.2.4-alpine' }, { tag: '1.2.3-alpine' }).ok)
  t.notOk(p.compatible!({ tag: '1.2.4' }, { tag: '1.2.3-alpine' }).ok)
  t.notOk(p.compatible!({ tag: '1.2.4-alpine' }, { tag: '1.2.3' }).ok)
  t.ok(p.compatible!({ tag: '1.2.4-rc.1' }, { tag: '1.2.3' }).ok, 'a prerelease is not a variant')
  t.ok(p.compatible!({ tag: '1.2.4' }, { tag: 'latest' }).ok, 'a value outside the scheme does not block')
  t.same(parseVersionTag('1.2.3-slim-bookworm')?.variant, 'slim-bookworm')
  t.same(parseVersionTag('1.2.3-rc.1')?.variant, '')
})

t.test('semver ranges, prereleases only where named', async (t) => {
  const p = parsePolicy('semver:^1.4')
  t.ok(p.accepts({ tag: '1.4.2' }).ok)
  t.ok(p.accepts({ tag: 'v1.9.0' }).ok)
  t.ok(p.accepts({ tag: '1.9.0-alpine' }).ok, 'a variant is judged by its version')
  t.notOk(p.accepts({ tag: '2.0.0' }).ok)
  t.notOk(p.accepts({ tag: '1.5.0-rc.1' }).ok)
  t.ok(parsePolicy('semver:>=2.0.0-rc.1 <3').accepts({ tag: '2.0.0-rc.2' }).ok)
  t.throws(() => parsePolicy('semver:!!'), { code: 'CONFIG_INVALID' })
  t.throws(() => parsePolicy('fastest'), { code: 'CONFIG_INVALID' })
})

t.test('regex: filter, then order by the named group, numerically or alphabetically', async (t) => {
  const p = parsePolicy('regex:^main-(?<order>\\d+)-[0-9a-f]+$')
  const table: [string, string, number | null][] = [
    ['main-10-abc', 'main-9-def', 1],
    ['main-100-abc', 'main-99-def', 1],
    ['main-0042-abc', 'main-42-def', 0],
    ['main-20260102120000-abc', 'main-20260102115959-def', 1],
    ['main-1-abc', 'latest', null],
  ]
  for (const [a, b, want] of table) t.equal(p.compare({ tag: a }, { tag: b }), want, `${a} vs ${b}`)
  t.ok(p.accepts({ tag: 'main-5-abc' }).ok)
  t.notOk(p.accepts({ tag: 'feature-5-abc' }).ok)
  t.notOk(p.accepts({ tag: 'main-x-abc' }).ok)
  const alpha = parsePolicy('regex:^(?<order>\\d{4}-\\d{2}-\\d{2})-')
  t.equal(alpha.compare({ tag: '2026-01-10-x' }, { tag: '2025-12-31-y' }), 1, 'date tags order alphabetically')
  const plain = parsePolicy('regex:^main-')
  t.equal(plain.compare({ tag: 'main-a', builtAt: at(2) }, { tag: 'main-b', builtAt: at(1) }), 1, 'no group: by build time')
  t.throws(() => parsePolicy('regex:('), { code: 'CONFIG_INVALID' })
  t.throws(() => parsePolicy('regex:'), { code: 'CONFIG_INVALID' })
  t.throws(() => parsePolicy(`regex:${'a'.repeat(300)}`), { code: 'CONFIG_INVALID' })
})

t.test('digest: a mutable tag followed by digest', async (t) => {
  const d1 = `sha256:${'1'.repeat(64)}`
  const d2 = `sha256:${'2'.repeat(64)}`
  const p = parsePolicy('digest')
  t.notOk(p.accepts({ tag: 'latest' }).ok, 'no digest, nothing to follow')
  t.ok(p.accepts({ tag: 'latest', digest: d2 }).ok)
  t.ok(p.compatible!({ tag: 'latest', digest: d2 }, { tag: 'latest', digest: d1 }).ok)
  t.notOk(p.compatible!({ tag: 'stable', digest: d2 }, { tag: 'latest', digest: d1 }).ok)
  t.equal(p.compare({ tag: 'latest', digest: d2, builtAt: at(2) }, { tag: 'latest', digest: d1, builtAt: at(1) }), 1)
  t.equal(p.compare({ tag: 'latest', digest: d1, builtAt: at(1) }, { tag: 'latest', digest: d2, builtAt: at(2) }), -1)
  t.equal(p.compare({ digest: d1 }, { digest: d1 }), 0)
  t.equal(p.compare({ digest: d2, builtAt: at(1) }, { digest: d1 }), null, 'a value a human set: not ordered, a new digest goes in')
  const stable = parsePolicy('digest:stable')
  t.notOk(stable.accepts({ tag: 'latest', digest: d2 }).ok)
  t.ok(stable.accepts({ tag: 'stable', digest: d2 }).ok)
  t.throws(() => parsePolicy('digest:no tags here'), { code: 'CONFIG_INVALID' })
})

t.test('property: semver ordering is a total order on versions and agrees with the numbers', async (t) => {
  const p = parsePolicy('semver')
  const part = fc.integer({ min: 0, max: 10_000 })
  const tag = fc.tuple(part, part, part, fc.constantFrom('', 'v'), fc.constantFrom('', '-rc.1', '-rc.10', '-beta.2'))
  fc.assert(
    fc.property(tag, tag, tag, (a, b, c) => {
      const s = (x: typeof a) => `${x[3]}${x[0]}.${x[1]}.${x[2]}${x[4]}`
      const ab = p.compare({ tag: s(a) }, { tag: s(b) })!
      const ba = p.compare({ tag: s(b) }, { tag: s(a) })!
      if (ab !== -ba) return false
      const bc = p.compare({ tag: s(b) }, { tag: s(c) })!
      const ac = p.compare({ tag: s(a) }, { tag: s(c) })!
      if (ab > 0 && bc > 0 && ac <= 0) return false
      // Different numbers: the numbers decide, whatever the prerelease.
      const num = (x: typeof a) => x[0] * 1e10 + x[1] * 1e5 + x[2]
      if (num(a) !== num(b)) return Math.sign(num(a) - num(b)) === ab
      return true
    }),
    { numRuns: 2000 },
  )
  t.pass('antisymmetric, transitive, numeric')
})

t.test('semver without a range: a stable version never moves to a prerelease (Renovate ignoreUnstable)', async (t) => {
  const p = parsePolicy('semver')
  const code = (tag: string, current: string | null) => {
    const v = p.accepts({ tag }, current === null ? null : { tag: current })
    return v.ok ? 'ok' : (v.code ?? 'policy-filtered')
  }
  const table: [string, string | null, string][] = [
    ['2.0.0-rc.1', '1.10.0', 'prerelease'],
    ['1.11.0', '1.10.0', 'ok'],
    ['v1.11.0', '1.10.0', 'ok'],
    ['2.0.0-rc.2', '2.0.0-rc.1', 'ok'],
    ['2.0.0-beta10', '2.0.0-beta2', 'ok'],
    ['2.0.0', '2.0.0-rc.1', 'ok'],
    ['2.1.0', '2.0.0-rc.1', 'ok'],
    ['2.1.0-rc.1', '2.0.0-rc.1', 'prerelease'],
    ['2.0.1-rc.1', '2.0.0-rc.1', 'prerelease'],
    ['1.0.0-rc.1', null, 'prerelease'],
    ['1.0.0-rc.1', 'latest', 'prerelease'],
    ['1.0.0', 'latest', 'ok'],
    ['1.2.4-alpine', '1.2.3-alpine', 'ok'],
    ['latest', '1.0.0', 'policy-filtered'],
  ]
  for (const [tag, current, want] of table) t.equal(code(tag, current), want, `${tag} over ${current}`)
  const refused = p.accepts({ tag: '2.0.0-rc.1' }, { tag: '1.10.0' })
  t.match(!refused.ok && refused.reason, /2\.0\.0-rc\.1 is a prerelease.*1\.10\.0/)
})

t.test('semver with a range: the range alone decides, whatever the file holds', async (t) => {
  t.notOk(parsePolicy('semver:^1.4').accepts({ tag: '1.5.0-rc.2' }, { tag: '1.5.0-rc.1' }).ok, 'a range that names no prerelease takes none')
  const named = parsePolicy('semver:>=2.0.0-rc.1 <3')
  t.ok(named.accepts({ tag: '2.0.0-rc.2' }, { tag: '1.10.0' }).ok, 'a range that names a prerelease takes it over a stable value')
  t.equal(named.compare({ tag: '2.0.0-rc.2' }, { tag: '1.10.0' }), 1)
})

t.test('which policies order by build time', async (t) => {
  t.same(
    ['newest-build', 'semver', 'semver:^1', 'regex:^main-', 'regex:^main-(?<order>\\d+)$', 'digest'].map((s) => parsePolicy(s).usesBuildTime),
    [true, false, false, true, false, true],
  )
})

/** Versions as people tag them: stable, or prereleases of a few kinds, sharing numbers often enough to meet. */
const versionTag = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom('', '', '-rc.1', '-rc.2', '-rc.10', '-beta.1', '-alpha', '-beta2')).map(([a, b, c, pre]) => `${a}.${b}.${c}${pre}`)

t.test('property: plain semver, builds applied one after another, never leave stable for a prerelease', async (t) => {
  const p = parsePolicy('semver')
  fc.assert(
    fc.property(versionTag, fc.array(versionTag, { maxLength: 12 }), (start, builds) => {
      // What the planner does per build: filter, then only a newer one replaces the value.
      let current = start
      const startStable = parseVersionTag(start)!.version.prerelease.length === 0
      const startRelease = (v: string) => parseVersionTag(v)!.version.version.split('-')[0]
      for (const tag of builds) {
        if (!p.accepts({ tag }, { tag: current }).ok) continue
        if ((p.compare({ tag }, { tag: current }) ?? 0) <= 0) continue
        const pre = parseVersionTag(tag)!.version.prerelease.length > 0
        if (pre && startStable) return false
        // From a prerelease, the only prereleases reached are of the same version.
        if (pre && startRelease(tag) !== startRelease(start)) return false
        current = tag
      }
      return true
    }),
    { numRuns: 3000 },
  )
  t.pass('stable stays stable; a prerelease line moves only within its version or to a stable one')
})

t.test('property: plain semver accepts every stable version, and a prerelease exactly over a prerelease of its version', async (t) => {
  const p = parsePolicy('semver')
  fc.assert(
    fc.property(versionTag, fc.option(versionTag, { nil: null }), (tag, current) => {
      const v = parseVersionTag(tag)!.version
      const c = current === null ? null : parseVersionTag(current)!.version
      const want = v.prerelease.length === 0 || (c !== null && c.prerelease.length > 0 && c.major === v.major && c.minor === v.minor && c.patch === v.patch)
      const got = p.accepts({ tag }, current === null ? null : { tag: current })
      return got.ok === want && (got.ok || got.code === 'prerelease')
    }),
    { numRuns: 3000 },
  )
  t.pass('the filter is exactly the rule')
})
