import t from 'tap'
import { replaceToken, rewriteScalars, tokenRule } from '../../src/scaffold/yaml-scalars.js'

t.test('whole names only', async (t) => {
  t.equal(replaceToken('my-service', 'my-service', 'x'), 'x')
  t.equal(replaceToken('my-service-config my-service.example', 'my-service', 'x'), 'x-config x.example')
  t.equal(replaceToken('flux-system:my-service', 'my-service', 'x'), 'flux-system:x')
  t.equal(replaceToken('not-my-service2 amy-service', 'my-service', 'x'), 'not-my-service2 amy-service')
})

t.test('values change, keys and comments do not', async (t) => {
  const src = '# my-service here\nmy-service: my-service # my-service\nlist: [my-service, "my-service", \'my-service\']\n'
  t.equal(rewriteScalars(src, 'f.yaml', tokenRule('my-service', 'orders')), '# my-service here\nmy-service: orders # my-service\nlist: [orders, "orders", \'orders\']\n')
})

t.test('a rewrite that would change another value is refused', async (t) => {
  // The rule says the value becomes "b" but rewrites the text to something that reads otherwise.
  t.throws(() => rewriteScalars('k: a\n', 'f.yaml', () => ({ value: 'b', rewrite: () => '[b]' })), { code: 'TEMPLATE_INVALID' })
  t.throws(() => rewriteScalars('k: [a\n', 'f.yaml', tokenRule('a', 'b')), { code: 'TEMPLATE_INVALID' })
})
