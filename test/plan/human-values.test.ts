import t from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { PendingEvent } from '../../src/core/change-set.js'
import type { AppliedRecord, FileContent } from '../../src/plan/build-change-set.js'
import { humanValues, originLookup } from '../../src/plan/human-values.js'
import { filesNeeded, matchEvent } from '../../src/plan/match-events.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { kustomization, MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

/** Which values the worker must date from git history: only those infra-sync did not put there, under a policy that orders by build time. */
const PAY = 'ghcr.io/acme/payments'
const ORD = 'ghcr.io/acme/orders-api'
const files: Record<string, string> = {
  ...serviceFiles('payments', `source: acme/payments\nimage: ${PAY}\nenvironments:\n  dev: {}\n  staging: {}\n  prod: { pin: true }\n  qa: {}\n`, { dev: 'main-aaa', staging: 'main-human', prod: 'main-old', qa: 'main-qa' }, PAY),
  ...serviceFiles('orders-api', `source: acme/orders-api\nimage: ${ORD}\npolicy: semver\n`, { dev: '1.0.0' }, ORD),
}
files['services/payments/overlays/qa/kustomization.yaml'] = `images:\n- name: ${PAY}\n  newTag: main-qa # infra-sync: pin\n`

const history: Record<string, AppliedRecord> = {
  [`payments/dev/${PAY}`]: { tag: 'main-aaa', builtAt: '2026-11-25T10:00:00.000Z', eventId: 'E1' },
  [`payments/staging/${PAY}`]: { tag: 'main-aaa', builtAt: '2026-11-25T10:00:00.000Z', eventId: 'E1' },
}

const ev = (id: string, source: string, image: string, tag: string, builtAt?: string): PendingEvent => ({
  id,
  receivedAt: '2026-11-25T13:00:00.000Z',
  event: { source, image, tag, ref: 'refs/heads/main', ...(builtAt && { builtAt }) } as BuildEvent,
})

async function ask(events: PendingEvent[]) {
  const registry = await loadRegistry(new MemoryTree(files))
  const matched = events.map((e) => matchEvent(e, registry))
  const contents = new Map<string, FileContent>(filesNeeded(matched).map((p) => [p, { text: files[p]! }]))
  return humanValues(matched, contents, (s, e, i) => history[`${s}/${e}/${i}`])
}

t.test('asks only for values infra-sync did not apply, once, with the oldest build time of the batch', async (t) => {
  const qs = await ask([
    ev('A', 'acme/payments', PAY, 'main-b', '2026-11-25T12:00:00.000Z'),
    ev('B', 'acme/payments', PAY, 'main-c'),
    ev('C', 'acme/payments', PAY, 'main-d', '2026-11-25T11:00:00.000Z'),
    ev('D', 'acme/orders-api', ORD, '1.1.0', '2026-11-25T09:00:00.000Z'),
  ])
  // dev holds what infra-sync applied; prod and qa are pinned; orders-api is semver: only staging is asked.
  t.same(
    qs.map((q) => [q.path, q.image, q.value, new Date(q.notBefore).toISOString()]),
    [['services/payments/overlays/staging/kustomization.yaml', PAY, 'main-human', '2026-11-25T11:00:00.000Z']],
  )
})

t.test('holds: an older version of the file holds the value when the editor reads the same value there', async (t) => {
  const [q] = await ask([ev('A', 'acme/payments', PAY, 'main-b')])
  const bytes = (s: string) => new TextEncoder().encode(s)
  t.ok(q!.holds(bytes(kustomization(PAY, 'main-human'))))
  t.ok(q!.holds(bytes(`# replicas changed by hand\n${kustomization(PAY, 'main-human')}`)), 'other bytes of the file may differ')
  t.notOk(q!.holds(bytes(kustomization(PAY, 'main-aaa'))))
  t.notOk(q!.holds(bytes('images: [unclosed\n')), 'a version that does not parse does not hold it')
  t.notOk(q!.holds(new Uint8Array([0xff, 0xfe])), 'nor one that is not UTF-8')
  t.notOk(q!.holds(bytes('resources: []\n')), 'nor one without the image')
})

t.test('originLookup answers by file, image and value', async (t) => {
  const qs = await ask([ev('A', 'acme/payments', PAY, 'main-b')])
  const o = { commit: 'c'.repeat(40), committedAt: '2026-11-25T12:00:00.000Z', exact: true }
  const lookup = originLookup(qs, [o])
  t.same(lookup('services/payments/overlays/staging/kustomization.yaml', PAY, 'main-human'), o)
  t.equal(lookup('services/payments/overlays/staging/kustomization.yaml', PAY, 'main-other'), undefined)
  t.equal(originLookup(qs, [null])('services/payments/overlays/staging/kustomization.yaml', PAY, 'main-human'), undefined)
})
