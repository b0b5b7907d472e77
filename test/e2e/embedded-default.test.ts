import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { commits, git } from '../helpers/git-cli.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

// A developer's machine: in a container (as this test machine may be) no development secret is generated.
const NOT_A_CONTAINER = { INFRA_SYNC_IN_CONTAINER: 'false' }

/**
 * `npm start` on a fresh machine: no configuration at all. The service seeds
 * ./data/infra, prints a ready-to-paste example, and the example, run by a
 * shell as a newcomer would, makes a commit.
 */
t.test('the embedded default works out of the box, and its printed example deploys', async (t) => {
  const dir = tmpDir(t)
  const child = await spawnServer(dir, NOT_A_CONTAINER)
  t.teardown(() => child.proc.kill('SIGKILL'))
  const infra = path.join(dir, 'data', 'infra')
  const example = await eventually(() => {
    const m = /Send a signed event:\n\n([\s\S]+?)\n\n/.exec(child.output())
    return m?.[1]
  })
  t.ok(fs.existsSync(path.join(infra, 'HEAD')), 'a bare repo at ./data/infra')
  t.same(commits(infra).map((c) => c.subject), ['seed: the infra repo, from infra-sync\'s example services and Argo CD templates'])
  t.match(git(infra, 'ls-tree', '-r', '--name-only', 'main'), /argocd\/applicationset\.yaml\n[\s\S]*schemas\/infra-sync\.schema\.json\n[\s\S]*services\/orders-api\/infra-sync\.yaml/)
  const secret = fs.readFileSync(path.join(dir, 'data', 'webhook-secret'), 'utf8').trim()
  t.notMatch(child.output(), secret, 'the generated secret is not printed')

  const out = execFileSync('bash', ['-c', example.split('\n').filter((l) => !l.startsWith('#')).join('\n')], { encoding: 'utf8' })
  const { id, status } = JSON.parse(out) as { id: string; status: string }
  t.equal(status, 'queued')
  const r = await eventually(async () => {
    const s = (await (await fetch(`${child.url}/v1/events/${id}`)).json()) as { status: string; commit: string }
    return s.status === 'applied' ? s : undefined
  })
  t.equal(commits(infra)[0]!.sha, r.commit)
  t.equal(commits(infra)[0]!.subject, 'deploy(orders-api/dev): 1.4.1 → 1.4.2')
  git(infra, 'fsck', '--strict')
  t.equal(await child.stop(), 0)

  // A restart keeps the repo and the secret; nothing is seeded twice.
  const again = await spawnServer(dir, NOT_A_CONTAINER)
  t.teardown(() => again.proc.kill('SIGKILL'))
  t.equal(commits(infra).length, 2)
  t.equal(fs.readFileSync(path.join(dir, 'data', 'webhook-secret'), 'utf8').trim(), secret)
  t.equal(await again.stop(), 0)
})
