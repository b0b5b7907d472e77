import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { commits, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { freshDatabase } from '../helpers/postgres.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * One deployment serving two infra repos (`repos:` in infra-sync.config.yaml),
 * as `node dist/cli.js serve`, on SQLite and on PostgreSQL: an event deploys
 * in every repo that has a service for its image, each repo's worker on its
 * own; and when one repo's remote cannot be reached, the other keeps
 * deploying and the server stays ready, degraded, naming the repo.
 */
function service(name: string, tag = '1.0.0'): Record<string, string> {
  return {
    [`services/${name}/infra-sync.yaml`]: `source: acme/${name}\nimage: ghcr.io/acme/${name}\npolicy: semver\n`,
    [`services/${name}/overlays/dev/kustomization.yaml`]: `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nimages:\n  - name: ghcr.io/acme/${name}\n    newTag: ${tag}\n`,
  }
}

const kustomization = (bare: string, name: string) => show(bare, 'main', `services/${name}/overlays/dev/kustomization.yaml`)

interface EventView {
  readonly status: string
  readonly commit?: string
  readonly commitUrl?: string
  readonly targets: readonly { readonly service: string; readonly repo?: string; readonly code: string }[]
}

for (const store of ['sqlite', 'postgres'] as const) {
  t.test(`two infra repos on ${store}: events reach each repo that deploys the image; one repo down, the other deploys`, async (t) => {
    const dir = tmpDir(t)
    const alpha = makeBareRepo(path.join(dir, 'a'), { ...service('api'), ...service('shared') })
    const beta = makeBareRepo(path.join(dir, 'b'), { ...service('web'), ...service('shared') })
    const gitA = await startGitServer(alpha)
    const gitB = await startGitServer(beta)
    t.teardown(() => gitA.close())
    t.teardown(() => gitB.close())
    fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), `repos:\n  - { name: alpha, url: "${gitA.url}" }\n  - { name: beta, url: "${gitB.url}" }\n`)
    const env = {
      INFRA_SYNC_CONFIG: path.join(dir, 'infra-sync.config.yaml'),
      INFRA_SYNC_SECRET: FALLBACK,
      INFRA_SYNC_DATA: path.join(dir, 'data'),
      ...(store === 'postgres' && { INFRA_SYNC_DATABASE_URL: await freshDatabase(t) }),
    }
    let server = await spawnServer(dir, env)
    t.teardown(() => server.proc.kill('SIGKILL'))

    const send = async (name: string, tag: string): Promise<string> => {
      const body = JSON.stringify({ source: `acme/${name}`, image: `ghcr.io/acme/${name}`, tag, ref: 'refs/heads/main' })
      const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
      t.equal(res.status, 202, `${name} ${tag} accepted`)
      return ((await res.json()) as { id: string }).id
    }
    // Applied in every repo that deploys it (the status reads applied from the first such repo on).
    const settled = (id: string, repos = 1) =>
      eventually(async () => {
        const r = (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as EventView
        return r.status === 'applied' && r.targets.length === repos ? r : undefined
      }, 60_000, `event ${id} applied in ${repos} repo(s)`)

    const shared = await send('shared', '1.1.0')
    const api = await send('api', '1.1.0')
    const web = await send('web', '1.1.0')
    const s = await settled(shared, 2)
    t.same(s.targets.map((x) => `${x.repo} ${x.service} ${x.code}`).sort(), ['alpha shared updated', 'beta shared updated'], 'one image, a target in each repo')
    t.match(kustomization(alpha, 'shared'), /newTag: 1\.1\.0/)
    t.match(kustomization(beta, 'shared'), /newTag: 1\.1\.0/)
    t.equal(commits(alpha).filter((c) => c.events.includes(shared)).length, 1)
    t.equal(commits(beta).filter((c) => c.events.includes(shared)).length, 1)
    const a = await settled(api)
    t.same(a.targets.map((x) => x.repo), ['alpha'], 'a repo without the service says nothing')
    t.equal(a.commitUrl, `${gitA.url.replace(/\.git$/, '')}/commit/${a.commit}`, "the commit page is on its own repo's host")
    t.equal(commits(alpha)[0]!.sha, a.commit)
    const w = await settled(web)
    t.equal(commits(beta)[0]!.sha, w.commit)
    t.equal(commits(beta).filter((c) => c.events.includes(api)).length, 0, 'no commit in the repo that does not deploy it')

    // beta's remote goes away; after a restart it cannot even be fetched once.
    t.equal(await server.stop(), 0)
    await gitB.close()
    server = await spawnServer(dir, env)
    const ready = await eventually(async () => {
      const res = await fetch(`${server.url}/readyz`)
      const body = (await res.json()) as { status: string; checks: Record<string, string>; repos: Record<string, { ready: boolean }> }
      return res.status === 200 && body.checks['repo:alpha'] === 'ok' ? body : undefined
    }, 30_000, 'alpha ready')
    t.equal(ready.status, 'degraded', 'ready, degraded while beta cannot be read')
    t.same(ready.repos, { alpha: { ready: true, leader: true }, beta: { ready: false, leader: true } })
    t.match(ready.checks['repo:beta'], /^not fetched yet/)
    const api2 = await send('api', '1.2.0')
    const a2 = await settled(api2)
    t.match(kustomization(alpha, 'api'), /newTag: 1\.2\.0/, 'alpha keeps deploying')
    t.equal(commits(alpha)[0]!.sha, a2.commit)
    t.equal(await server.stop(), 0)
  })
}
