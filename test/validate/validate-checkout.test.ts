import fc from 'fast-check'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { validateCheckout, type CheckoutState } from '../../src/validate/validate-checkout.js'
import { FsTree } from '../../src/validate/fs-tree.js'
import { kustomization, MemoryTree } from '../helpers/memory-tree.js'
import { tmpDir, writeTree } from '../helpers/tmp.js'
import { REPO_ROOT } from './checkout-fixture.js'

const APPSET = fs.readFileSync(path.join(REPO_ROOT, 'infra-template/argocd/applicationset.yaml'), 'utf8')
const PROJECT = fs.readFileSync(path.join(REPO_ROOT, 'infra-template/argocd/project.yaml'), 'utf8')
const NAMES = ['alpha', 'beta', 'gamma', 'Delta_x']

const config = fc.constantFrom('valid', 'unknown-key', 'bad-policy', 'same-image', 'missing-env', 'broken', 'absent')
const overlay = fc.constantFrom('valid', 'newtag', 'broken', 'other-image', 'absent')
const folder = fc.record({ name: fc.constantFrom(...NAMES), config, overlay })
const checkout = fc.record({ folders: fc.array(folder, { maxLength: 5 }), argo: fc.boolean() })

function files(c: { folders: { name: string; config: string; overlay: string }[]; argo: boolean }): Record<string, string> {
  const out: Record<string, string> = c.argo ? { 'argocd/applicationset.yaml': APPSET, 'argocd/project.yaml': PROJECT } : {}
  for (const f of c.folders) {
    const dir = `services/${f.name}`
    const image = f.config === 'same-image' ? 'ghcr.io/acme/alpha' : `ghcr.io/acme/${f.name.toLowerCase()}`
    const source = f.config === 'same-image' ? 'acme/alpha' : `acme/${f.name.toLowerCase()}`
    const cfg = {
      valid: `source: ${source}\nimage: ${image}\n`,
      'unknown-key': `source: ${source}\nimage: ${image}\npolcy: semver\n`,
      'bad-policy': `source: ${source}\nimage: ${image}\npolicy: "semver:>=>1"\n`,
      'same-image': `source: ${source}\nimage: ${image}\n`,
      'missing-env': `source: ${source}\nimage: ${image}\nenvironments:\n  dev:\n  qa:\n`,
      broken: `source: ${source}\nimage: [${image}\n`,
      absent: undefined,
    }[f.config]
    if (cfg !== undefined) out[`${dir}/infra-sync.yaml`] = cfg
    const k = {
      valid: kustomization(image, '1.0.0'),
      newtag: kustomization(image, '1.0.0').replace('newTag', 'newtag'),
      broken: 'images: [\n',
      'other-image': kustomization('ghcr.io/acme/other', '1.0.0'),
      absent: undefined,
    }[f.overlay]
    out[`${dir}/base/kustomization.yaml`] = 'resources: []\n'
    if (k !== undefined) out[`${dir}/overlays/dev/kustomization.yaml`] = k
  }
  return out
}

t.test('property: after any edits, a run from the previous state finds exactly what a fresh run finds', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(checkout, { minLength: 2, maxLength: 4 }), async (steps) => {
      let state: CheckoutState | undefined
      for (const step of steps) {
        const tree = new MemoryTree(files(step))
        const incremental = await validateCheckout(tree, state)
        const fresh = await validateCheckout(new MemoryTree(files(step)))
        t.same(incremental.findings, fresh.findings)
        t.equal(incremental.services, fresh.services)
        state = incremental.state
      }
    }),
    { numRuns: 40 },
  )
})

t.test('a working copy: after a change and invalidate, the same findings as a fresh read', async (t) => {
  const dir = tmpDir(t)
  writeTree(dir, files({ argo: true, folders: [{ name: 'alpha', config: 'valid', overlay: 'valid' }, { name: 'beta', config: 'valid', overlay: 'valid' }] }))
  const tree = new FsTree(dir)
  const first = await validateCheckout(tree)
  t.same(first.findings, [])
  t.equal(first.services, 2)
  writeTree(dir, { 'services/beta/overlays/dev/kustomization.yaml': 'images: [\n' })
  tree.invalidate('services/beta/overlays/dev/kustomization.yaml')
  const second = await validateCheckout(tree, first.state)
  t.same(second.findings, (await validateCheckout(new FsTree(dir))).findings)
  t.same(
    second.findings.map((f) => [f.file, f.code]),
    [['services/beta/overlays/dev/kustomization.yaml', 'YAML_INVALID']],
  )
  t.equal(second.state.reports.get('alpha'), first.state.reports.get('alpha'), 'the unchanged folder is not checked again')
})
