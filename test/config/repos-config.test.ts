import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { defaultRepoName } from '../../src/config/repo-config.js'
import { tmpDir } from '../helpers/tmp.js'

const LONG = 'a-secret-that-is-long-enough-0123456789'
const BASE = { INFRA_SYNC_IN_CONTAINER: 'false', INFRA_SYNC_SECRET: LONG }

function withFile(t: Tap.Test, yaml: string): string {
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), yaml)
  return dir
}

t.test('repos: several infra repos, each with its token, forge and name', async (t) => {
  const dir = withFile(
    t,
    `repos:
  - { url: https://github.com/acme/infra.git, branch: main, tokenEnv: INFRA_TOKEN }
  - { url: https://git.example/team-b/clusters.git, branch: prod, tokenEnv: TEAM_B_TOKEN, transport: cli }
  - { name: local-one, url: ./local.git }
`,
  )
  const c = loadConfig({ ...BASE, INFRA_TOKEN: 'tok-a', TEAM_B_TOKEN: 'tok-b' }, dir)
  t.equal(c.repos.length, 3)
  t.notOk(c.embeddedRepo)
  t.match(c.repos[0], { name: 'acme-infra', kind: 'http', branch: 'main', token: 'tok-a', forge: { kind: 'github', owner: 'acme', repo: 'infra' } })
  t.match(c.repos[1], { name: 'team-b-clusters-prod', branch: 'prod', token: 'tok-b', transport: 'cli' })
  t.notOk(c.repos[1]!.forge, 'no forge implied off github.com')
  t.match(c.repos[2], { name: 'local-one', kind: 'local', location: path.join(dir, 'local.git') })
  t.equal(c.repo, c.repos[0], 'repo is the first of them')
})

t.test('INFRA_SYNC_REPO wins over repos: and is the one repo, unnamed', async (t) => {
  const dir = withFile(t, 'repos:\n  - { url: https://github.com/acme/infra.git }\n')
  const c = loadConfig({ ...BASE, INFRA_SYNC_REPO: 'https://git.example/x/y.git' }, dir)
  t.equal(c.repos.length, 1)
  t.equal(c.repo.location, 'https://git.example/x/y.git')
  t.equal(c.repo.name, undefined)
})

t.test('one repo by environment variables stays as it was', async (t) => {
  const c = loadConfig({ ...BASE, INFRA_SYNC_REPO: 'https://git.example/x/y.git', INFRA_SYNC_GIT_TOKEN: 'tok' }, tmpDir(t))
  t.same(c.repos, [c.repo])
  t.equal(c.repo.name, undefined)
})

t.test('refused: unset token variables, duplicate names or repos, repo and repos together, bad entries', async (t) => {
  const cases: [string, Record<string, string>, string][] = [
    ['repos:\n  - { url: https://git.example/a/b.git, tokenEnv: MISSING }\n', {}, 'repos[0].tokenEnv'],
    ['repos:\n  - { url: https://git.example/a/b.git }\n  - { url: https://other.example/a/b.git }\n', {}, 'repos[1].name'],
    ['repos:\n  - { url: https://git.example/a/b.git }\n  - { name: two, url: https://git.example/a/b.git }\n', {}, 'repos[1].url'],
    ['repo: https://git.example/a/b.git\nrepos:\n  - { url: https://git.example/c/d.git }\n', {}, 'repos'],
    ['repos: []\n', {}, 'repos'],
    ['repos:\n  - { url: https://git.example/a/b.git, name: Not_Valid }\n', {}, 'repos[0].name'],
    ['repos:\n  - { url: https://git.example/a/b.git, colour: blue }\n', {}, 'repos[0].colour'],
    ['repos:\n  - { url: "git://git.example/a/b.git" }\n', {}, 'repos[0].url'],
  ]
  for (const [yaml, env, where] of cases) {
    const dir = withFile(t, yaml)
    t.throws(() => loadConfig({ ...BASE, ...env }, dir), { code: 'CONFIG_INVALID' }, where)
    try {
      loadConfig({ ...BASE, ...env }, dir)
    } catch (e) {
      const d = (e as { data: { path?: string; setting?: string } }).data
      t.ok(`${d.path ?? d.setting}`.startsWith(where), `${where}: the error names the setting (${d.path ?? d.setting})`)
    }
  }
})

t.test('defaultRepoName: owner and repo from https, SSH and local paths, the branch off main', async (t) => {
  t.equal(defaultRepoName('https://github.com/Acme/Infra.git', 'main'), 'acme-infra')
  t.equal(defaultRepoName('git@gitlab.example:group/sub/infra.git', 'main'), 'sub-infra')
  t.equal(defaultRepoName('ssh://git@host:2222/acme/infra', 'release/2026'), 'acme-infra-release-2026')
  t.equal(defaultRepoName('/srv/git/infra.git', 'main'), 'git-infra')
  t.match(defaultRepoName(`https://h/${'x'.repeat(80)}/y`, 'main'), /^[a-z0-9][a-z0-9-]{0,39}$/)
})
