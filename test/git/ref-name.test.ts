import t from 'tap'
import { assertBranchRef, assertRefPrefix } from '../../src/git/ref-name.js'

t.test('branch refs that git accepts pass', async (t) => {
  for (const ref of ['refs/heads/main', 'refs/heads/infra-sync/orders-api/prod', 'refs/heads/release/2026.11', 'refs/heads/a_b-c.d', 'refs/heads/x@y', 'refs/heads/über']) {
    t.equal(assertBranchRef(ref), ref, ref)
  }
})

t.test("what git check-ref-format refuses is INVALID_REF", async (t) => {
  const bad = [
    'main',
    'refs/tags/v1',
    'refs/heads/',
    'refs/heads/HEAD',
    'refs/heads/@',
    'refs/heads/-x',
    'refs/heads/a..b',
    'refs/heads/a/.hidden',
    'refs/heads/.x',
    'refs/heads/x.lock',
    'refs/heads/x.lock/y',
    'refs/heads/x.',
    'refs/heads/x/',
    'refs/heads/a//b',
    'refs/heads/a@{1}',
    'refs/heads/a b',
    'refs/heads/a\tb',
    'refs/heads/a\nb',
    'refs/heads/a\u007fb',
    'refs/heads/a~1',
    'refs/heads/a^',
    'refs/heads/a:b',
    'refs/heads/a?',
    'refs/heads/a*',
    'refs/heads/a[b',
    'refs/heads/a\\b',
    `refs/heads/${'x'.repeat(256)}`,
  ]
  for (const ref of bad) t.throws(() => assertBranchRef(ref), { code: 'INVALID_REF' }, JSON.stringify(ref))
})

t.test('list prefixes stay inside refs/', async (t) => {
  t.equal(assertRefPrefix('refs/heads/infra-sync/'), 'refs/heads/infra-sync/')
  t.equal(assertRefPrefix('refs/heads/infra-sync/a/prod'), 'refs/heads/infra-sync/a/prod')
  for (const p of ['heads/', 'refs/../config', 'refs/heads//x', 'refs/heads/\n']) t.throws(() => assertRefPrefix(p), { code: 'INVALID_REF' }, JSON.stringify(p))
})
