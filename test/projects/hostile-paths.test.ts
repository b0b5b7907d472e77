import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { assertSafeRepoPath } from '../../src/core/repo-path.js'
import { ObjectStore } from '../../src/git/object-store.js'
import { GitSnapshot } from '../../src/git/snapshot.js'
import { loadRegistry } from '../../src/projects/registry.js'
import { parseServiceConfig } from '../../src/projects/service-config.js'
import { git } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

/** Paths that could leave the repository or reach git's own files are refused wherever they come from. */
t.test('repository paths: .., absolute, .git, NUL and backslashes are refused', async (t) => {
  for (const p of ['../x', 'a/../../x', '/etc/passwd', 'C:/x', '.git/config', 'a/.GIT/hooks/x', 'a\\..\\b', 'a\0b', '', '.', './']) {
    t.throws(() => assertSafeRepoPath(p), { code: 'PATH_UNSAFE' }, JSON.stringify(p))
  }
  t.equal(assertSafeRepoPath('./overlays//dev/'), 'overlays/dev')
})

t.test('infra-sync.yaml cannot point a target outside its folder', async (t) => {
  const base = 'source: acme/a\nimage: ghcr.io/acme/a\nenvironments:\n  dev:\n'
  for (const extra of ['    path: ../../other/overlays/dev\n', '    path: /etc\n', '    file: ../../../../etc/passwd\n', '    file: .git/config\n', '    file: /etc/passwd\n']) {
    t.throws(() => parseServiceConfig(base + extra, 'services/a/infra-sync.yaml'), { code: 'CONFIG_INVALID' }, extra.trim())
  }
})

t.test('a symbolic link in the infra repo is never followed', async (t) => {
  const dir = tmpDir(t)
  const work = path.join(dir, 'work')
  fs.mkdirSync(path.join(work, 'services/evil/overlays/dev'), { recursive: true })
  fs.mkdirSync(path.join(work, 'services/named/overlays/dev'), { recursive: true })
  fs.writeFileSync(path.join(work, 'services/evil/infra-sync.yaml'), 'source: acme/evil\nimage: ghcr.io/acme/evil\n')
  fs.writeFileSync(path.join(work, 'services/named/infra-sync.yaml'), 'source: acme/named\nimage: ghcr.io/acme/named\nenvironments:\n  dev: { file: kustomization.yaml }\n')
  fs.symlinkSync('/etc/hostname', path.join(work, 'services/evil/overlays/dev/kustomization.yaml'))
  fs.symlinkSync('../../../evil/infra-sync.yaml', path.join(work, 'services/named/overlays/dev/kustomization.yaml'))
  git(work, 'init', '-q', '-b', 'main')
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'links')
  const store = new ObjectStore(path.join(work, '.git'))
  const snap = await GitSnapshot.at(store, git(work, 'rev-parse', 'main').trim())
  const registry = await loadRegistry(snap)
  const evil = registry.services.get('evil')!.targets[0]!
  t.same(evil.files, [], 'a link is not a candidate file')
  t.match(evil.problem, /no file/)
  const named = registry.services.get('named')!.targets[0]!
  t.same(named.files, ['services/named/overlays/dev/kustomization.yaml'])
  await t.rejects(snap.read(named.files[0]!), { code: 'PATH_UNSAFE' }, 'named explicitly, it is refused when read')
})
