import t from 'tap'
import { OverlayTree } from '../../src/scaffold/overlay-tree.js'
import { MemoryTree } from '../helpers/memory-tree.js'

t.test('added files appear beside the checkout, which wins nothing back', async (t) => {
  const base = new MemoryTree({ 'services/a/infra-sync.yaml': 'a\n', 'argocd/x.yaml': 'x\n' })
  const tree = new OverlayTree(base, [{ path: 'services/b/overlays/dev/k.yaml', bytes: Buffer.from('k\n') }])
  t.same((await tree.list(''))!.map((e) => [e.name, e.kind]), [['argocd', 'tree'], ['services', 'tree']])
  t.same((await tree.list('services'))!.map((e) => e.name), ['a', 'b'])
  t.same((await tree.list('services/b/overlays'))!.map((e) => [e.name, e.kind]), [['dev', 'tree']])
  t.equal(Buffer.from((await tree.read('services/b/overlays/dev/k.yaml'))!).toString(), 'k\n')
  t.equal(Buffer.from((await tree.read('services/a/infra-sync.yaml'))!).toString(), 'a\n')
  t.equal(await tree.read('services/b/nothing.yaml'), null)
  t.equal(await tree.list('services/c'), null)
})
