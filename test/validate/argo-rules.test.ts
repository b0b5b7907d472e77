import fc from 'fast-check'
import t from 'tap'
import { globMatch } from '../../src/validate/path-glob.js'
import { isDnsLabel, renderPathTemplate } from '../../src/validate/path-template.js'

t.test('globs as the git directory generator and AppProjects read them', async (t) => {
  t.ok(globMatch('services/*/overlays/*', 'services/a/overlays/dev'))
  t.notOk(globMatch('services/*/overlays/*', 'services/a/b/overlays/dev'), '* stays in one segment')
  t.ok(globMatch('services/**', 'services/a/b/c'))
  t.ok(globMatch('services/[ab]?', 'services/ax'))
  t.notOk(globMatch('services/[!ab]', 'services/a'))
  t.ok(globMatch('*-prod', 'orders-api-prod', true))
  t.ok(globMatch('https://github.com/acme/*', 'https://github.com/acme/infra', true))
  t.notOk(globMatch('a.b', 'axb'), 'a dot is literal')
})

t.test('templates as Argo CD renders them for one folder', async (t) => {
  const folder = 'services/orders-api/overlays/dev'
  t.equal(renderPathTemplate("{{ index .path.segments 1 }}-{{ .path.basename }}", folder, true), 'orders-api-dev')
  t.equal(renderPathTemplate('{{ .path.path }}', folder, true), folder)
  t.equal(renderPathTemplate('{{path[1]}}-{{path.basename}}', folder, false), 'orders-api-dev')
  t.equal(renderPathTemplate('{{ .path.basenameNormalized }}', 'services/x/Dev_1', true), 'dev-1')
  t.equal(renderPathTemplate('{{ .path.basename | upper }}', folder, true), null, 'a pipeline is not guessed at')
  t.equal(renderPathTemplate('{{ index .path.segments 9 }}', folder, true), null)
  t.ok(isDnsLabel('orders-api-dev'))
  t.notOk(isDnsLabel('Orders-dev'))
  t.notOk(isDnsLabel('a'.repeat(64)))
  t.notOk(isDnsLabel('-a'))
})

t.test('property: globs and templates from untrusted manifests never throw', async (t) => {
  const s = fc.array(fc.constantFrom('a', '*', '?', '[', ']', '!', '^', '/', '.', '\\', '(', '{{', '}}', ' ', 'index', '.path.segments', '1', '$', '|'), { maxLength: 20 }).map((a) => a.join(''))
  fc.assert(
    fc.property(s, s, fc.boolean(), (glob, value, cross) => {
      const m = globMatch(glob, value, cross)
      const r = renderPathTemplate(glob, value, cross)
      return typeof m === 'boolean' && (r === null || typeof r === 'string')
    }),
    { numRuns: 3000 },
  )
  // A glob without specials matches exactly itself.
  fc.assert(fc.property(fc.stringMatching(/^[a-z0-9./-]{0,20}$/), (lit) => globMatch(lit, lit) && !globMatch(lit, `${lit}x`)))
  t.pass()
})
