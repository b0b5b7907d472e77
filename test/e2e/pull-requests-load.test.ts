import t from 'tap'
import { show } from '../helpers/git-cli.js'
import { checkClean, startPrRig, targetOf, type EventView } from '../helpers/pull-request-rig.js'
import { sleep } from '../helpers/tmp.js'

/**
 * Many builds for many pull-request environments at once (50 services, 4
 * builds each, in rounds: 200 events), against a GitHub that enforces a
 * secondary rate limit of 5 requests a second. infra-sync's own spacing of
 * writes is turned off (githubPacing 0), so the limit is what bites. Every
 * event ends proposed or superseded, each service has exactly one open PR
 * carrying its newest build, and every request matched the API description:
 * a 403 with retry-after is waited out, never turned into a failure.
 */
const SERVICES = 50
const BUILDS = 4
const name = (i: number) => `svc-${String(i).padStart(2, '0')}`
const branch = (i: number) => `infra-sync/${name(i)}/prod`
const file = (i: number) => `services/${name(i)}/overlays/prod/kustomization.yaml`
const tag = (b: number) => `1.0.${b}`

function infraFiles(): Record<string, string> {
  const files: Record<string, string> = { 'README.md': 'infra\n' }
  for (let i = 0; i < SERVICES; i++) {
    const image = `ghcr.io/acme/${name(i)}`
    files[`services/${name(i)}/infra-sync.yaml`] = `source: acme/${name(i)}\nimage: ${image}\npolicy: semver\nenvironments:\n  prod: { path: overlays/prod, update: pull-request }\n`
    files[`services/${name(i)}/base/kustomization.yaml`] = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n'
    files[`services/${name(i)}/base/deployment.yaml`] = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name(i)}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${image}\n`
    files[file(i)] = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n  - name: ${image}\n    newTag: 0.9.0\n`
  }
  return files
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T, R>(items: readonly T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const k = next++
        out[k] = await fn(items[k]!)
      }
    }),
  )
  return out
}

t.test('200 builds for 50 pull-request environments under a secondary rate limit', async (t) => {
  const rig = await startPrRig(t, {
    files: infraFiles(),
    fake: { rateLimit: { requests: 5, windowMs: 1000 } },
    config: { githubPacing: { writeMs: 0, notificationMs: 0 } },
    sources: {},
    env: { LOG_LEVEL: 'info' },
  })
  const services = Array.from({ length: SERVICES }, (_, i) => i)
  const ids: string[][] = services.map(() => [])
  // Build by build, so that each service's builds arrive in order: the last one is the newest.
  for (let b = 0; b < BUILDS; b++) {
    await pool(services, 10, async (i) => {
      ids[i]!.push(await rig.post(tag(b), { source: `acme/${name(i)}` }))
    })
  }

  // Each service's newest build waits in its PR; the older ones were overtaken there.
  const want = new Map<string, string>()
  for (const i of services) ids[i]!.forEach((id, b) => want.set(id, b === BUILDS - 1 ? 'proposed' : 'superseded'))
  const seen = new Map<string, EventView>()
  let pending = [...want.keys()]
  const end = Date.now() + 120_000
  while (pending.length > 0 && Date.now() < end) {
    for (const e of await pool(pending, 8, (id) => rig.event(id))) seen.set(e.id, e)
    pending = pending.filter((id) => seen.get(id)!.status !== want.get(id))
    // Each round reads every pending event over HTTP: read too often, it takes CPU from the server under test.
    if (pending.length > 0) await sleep(1000)
  }
  for (const id of pending.slice(0, 5)) t.comment(`${id}: wanted ${want.get(id)}, read ${JSON.stringify(seen.get(id))}`)
  t.equal(pending.length, 0, 'every newest build proposed, every older one superseded')

  let wrong = 0
  for (const i of services) {
    const all = rig.pullsFor(branch(i))
    const newest = seen.get(ids[i]![BUILDS - 1]!)!
    const ok =
      all.length === 1 &&
      all[0]!.state === 'open' &&
      all[0]!.title === `deploy(${name(i)}/prod): 0.9.0 → ${tag(BUILDS - 1)}` &&
      all[0]!.headSha === rig.tip(branch(i)) &&
      show(rig.bare, branch(i), file(i)).includes(`newTag: ${tag(BUILDS - 1)}\n`) &&
      targetOf(newest, 'prod').pullRequest?.number === all[0]!.number
    if (!ok) {
      wrong++
      t.comment(`${name(i)}: ${JSON.stringify(all.map((p) => [p.number, p.state, p.title]))}`)
    }
  }
  t.equal(wrong, 0, 'every service has exactly one pull request, open, carrying its newest build')
  t.equal(rig.gh.pulls.size, SERVICES, 'no pull request beyond one per service')
  t.comment(`${rig.gh.requests.length} API requests, ${rig.gh.requests.filter((r) => r.status === 403).length} of them over the rate limit (answered 403)`)
  checkClean(t, rig)
})
