import t from 'tap'
import { parsePolicy } from '../../src/policies/registry.js'

t.test('newest-build orders by build time, and cannot order without one', async (t) => {
  const p = parsePolicy('newest-build')
  t.equal(p.compare({ builtAt: '2026-01-02T00:00:00Z' }, { builtAt: '2026-01-01T00:00:00Z' }), 1)
  t.equal(p.compare({ builtAt: '2026-01-01T00:00:00Z' }, { builtAt: '2026-01-02T00:00:00Z' }), -1)
  t.equal(p.compare({ builtAt: '2026-01-01T00:00:00Z' }, { tag: 'abc' }), null)
  t.same(p.accepts({ tag: 'main-abc' }), { ok: true })
  t.throws(() => parsePolicy('newest-build:x'), { code: 'CONFIG_INVALID' })
})

t.test('semver orders versions numerically, v prefix accepted', async (t) => {
  const p = parsePolicy('semver')
  const cmp = (a: string, b: string) => p.compare({ tag: a }, { tag: b })
  t.equal(cmp('1.10.0', '1.9.0'), 1)
  t.equal(cmp('v1.2.3', '1.2.3'), 0)
  t.equal(cmp('1.0.0-rc.10', '1.0.0-rc.9'), 1)
  t.equal(cmp('1.0.0', '1.0.0-rc.1'), 1)
  t.equal(cmp('1.0.0', 'latest'), null)
  t.notOk(p.accepts({ tag: 'latest' }).ok)
  t.notOk(p.accepts({ tag: '1.2' }).ok)
})

t.test('semver ranges, prereleases only where named', async (t) => {
  const p = parsePolicy('semver:^1.4')
  t.ok(p.accepts({ tag: '1.4.2' }).ok)
  t.ok(p.accepts({ tag: '1.9.0' }).ok)
  t.notOk(p.accepts({ tag: '2.0.0' }).ok)
  t.notOk(p.accepts({ tag: '1.5.0-rc.1' }).ok)
  t.ok(parsePolicy('semver:>=2.0.0-rc.1 <3').accepts({ tag: '2.0.0-rc.2' }).ok)
  t.throws(() => parsePolicy('semver:!!'), { code: 'CONFIG_INVALID' })
  t.throws(() => parsePolicy('fastest'), { code: 'CONFIG_INVALID' })
})
