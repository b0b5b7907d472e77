import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import t from 'tap'
import { CLI } from '../helpers/child-server.js'
import { EXAMPLES, makeCheckout, overlay, positionOf, read, REPO_ROOT } from '../validate/checkout-fixture.js'

interface JsonFinding {
  file: string
  line: number
  column: number
  code: string
  message: string
}

const validate = (...args: string[]) => spawnSync(process.execPath, [CLI, 'validate', ...args], { encoding: 'utf8', timeout: 60_000 })

function findings(dir: string): { status: number | null; findings: JsonFinding[] } {
  const r = validate(dir, '--json')
  return { status: r.status, findings: JSON.parse(r.stdout) as JsonFinding[] }
}

const WEB = 'services/web-frontend/infra-sync.yaml'
const PROJECT = read(REPO_ROOT, 'infra-template/argocd/project.yaml')
/** Where the template's sourceRepos entry is (the template's comments change; the rule's position must not be guessed). */
const SOURCE_REPO = positionOf(PROJECT, 'https://github.com/acme/infra.git')
const WEB_DEV = read(REPO_ROOT, 'services/web-frontend/overlays/dev/kustomization.yaml')
const web = (extra: string) => `source: acme/web\nimage: ghcr.io/acme/web-frontend\n${extra}`

t.test('a valid checkout: exit 0 and the valid line', async (t) => {
  const dir = makeCheckout(t)
  const r = validate(dir)
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.equal(r.stdout, `the checkout is valid (${EXAMPLES} services)\n`)
  const j = findings(dir)
  t.equal(j.status, 0)
  t.same(j.findings, [])
})

t.test("this repository's own examples (services/, infra-template/) pass", async (t) => {
  const r = validate(REPO_ROOT)
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.match(r.stdout, /valid \(\d+ services\)/)
  // The folder developers copy, registered as a service of its own, passes too.
  const dir = makeCheckout(t)
  fs.cpSync(`${REPO_ROOT}/infra-template/basic`, `${dir}/services/my-service`, { recursive: true })
  const copied = validate(dir)
  t.equal(copied.status, 0, copied.stdout + copied.stderr)
})

t.test('no such directory is a usage error', async (t) => {
  const r = validate(`${REPO_ROOT}/no-such-dir-${process.pid}`)
  t.equal(r.status, 2)
  t.match(r.stderr, /\[USAGE\]/)
})

/** [name, edits, the findings that must be there as {code, file, line, column}]. */
const cases: [string, Record<string, string | null>, Omit<JsonFinding, 'message'>[]][] = [
  ['unknown key', { [WEB]: web('polcy: semver\n') }, [{ code: 'SCHEMA_INVALID', file: WEB, line: 3, column: 1 }]],
  ['wrong type', { [WEB]: web('branches: 7\n') }, [{ code: 'SCHEMA_INVALID', file: WEB, line: 3, column: 11 }]],
  ['broken YAML', { [WEB]: 'source: acme/web\nimage: [ghcr.io/acme/web-frontend\npolicy: semver\n' }, [{ code: 'YAML_INVALID', file: WEB, line: 3, column: 1 }]],
  ['a policy that does not parse', { [WEB]: web('policy: "semver:>=>1"\n') }, [{ code: 'POLICY_INVALID', file: WEB, line: 3, column: 9 }]],
  ['an environment policy that does not parse', { [WEB]: web('environments:\n  dev:\n    policy: "regex:("\n') }, [{ code: 'POLICY_INVALID', file: WEB, line: 5, column: 13 }]],
  ['a pin that is not a tag', { [WEB]: web('environments:\n  dev:\n    pin: "not a tag"\n') }, [{ code: 'PIN_INVALID', file: WEB, line: 5, column: 10 }]],
  ['an unsafe path', { [WEB]: web('environments:\n  dev:\n    path: ../orders-api/overlays/dev\n') }, [{ code: 'CONFIG_INVALID', file: WEB, line: 5, column: 11 }]],
  ['a missing environment folder', { [WEB]: web('environments:\n  dev: {}\n  qa: { path: overlays/qa }\n') }, [{ code: 'PATH_MISSING', file: WEB, line: 5, column: 15 }]],
  ['a missing file', { [WEB]: web('environments:\n  dev:\n    file: nope.yaml\n') }, [{ code: 'FILE_MISSING', file: WEB, line: 5, column: 11 }]],
  ['a folder with nothing to edit', { [WEB]: web('environments:\n  docs: { path: docs }\n'), 'services/web-frontend/docs/README.md': '# docs\n' }, [{ code: 'NO_EDITABLE_FILE', file: WEB, line: 4, column: 17 }]],
  [
    'the image is not in the files',
    { [WEB]: 'source: acme/web\nimage: ghcr.io/acme/web-frontend-v2\n' },
    [
      { code: 'IMAGE_NOT_FOUND', file: 'services/web-frontend/overlays/dev/kustomization.yaml', line: 1, column: 1 },
      { code: 'IMAGE_NOT_FOUND', file: 'services/web-frontend/overlays/prod/kustomization.yaml', line: 1, column: 1 },
    ],
  ],
  ['another image at the key named', { [WEB]: web('environments:\n  prod:\n  dev:\n    file: values.yaml\n    key: api.image\n'), 'services/web-frontend/overlays/dev/values.yaml': 'api:\n  image:\n    repository: ghcr.io/acme/other\n    tag: "1.0.0"\n' }, [{ code: 'EDITOR_REFUSED', file: 'services/web-frontend/overlays/dev/values.yaml', line: 1, column: 1 }]],
  ['a key kustomize does not know', { 'services/web-frontend/overlays/dev/kustomization.yaml': WEB_DEV.replace('newTag:', 'newtag:') }, [{ code: 'KUSTOMIZATION_INVALID', file: 'services/web-frontend/overlays/dev/kustomization.yaml', ...positionOf(WEB_DEV, 'newTag:') }]],
  ['an environment file that does not parse', { 'services/web-frontend/overlays/dev/kustomization.yaml': 'images:\n  - name: [x\n' }, [{ code: 'YAML_INVALID', file: 'services/web-frontend/overlays/dev/kustomization.yaml', line: 3, column: 1 }]],
  ['a pin other than the value deployed', { [WEB]: web('environments:\n  dev:\n  prod:\n    pin: "2.2.3"\n') }, [{ code: 'PIN_MISMATCH', file: WEB, line: 6, column: 10 }]],
  [
    'two services claim one image for one source',
    { 'services/web-frontend-2/infra-sync.yaml': web(''), 'services/web-frontend-2/overlays/dev/kustomization.yaml': overlay('ghcr.io/acme/web-frontend') },
    [
      { code: 'IMAGE_CLAIMED_TWICE', file: WEB, line: 2, column: 8 },
      { code: 'IMAGE_CLAIMED_TWICE', file: 'services/web-frontend-2/infra-sync.yaml', line: 2, column: 8 },
    ],
  ],
  ['a folder the ApplicationSet deploys without infra-sync.yaml', { 'services/billing/overlays/dev/kustomization.yaml': overlay('ghcr.io/acme/billing') }, [{ code: 'FOLDER_WITHOUT_CONFIG', file: 'services/billing/overlays/dev', line: 1, column: 1 }]],
  ['an overlay no environment names', { 'services/web-frontend/overlays/qa/kustomization.yaml': overlay('ghcr.io/acme/web-frontend'), [WEB]: web('environments:\n  dev:\n  prod:\n') }, [{ code: 'FOLDER_WITHOUT_CONFIG', file: WEB, line: 3, column: 1 }]],
  [
    'an environment the ApplicationSet does not deploy',
    { [WEB]: web('environments:\n  dev:\n  preview: { path: preview }\n'), 'services/web-frontend/preview/kustomization.yaml': overlay('ghcr.io/acme/web-frontend') },
    [{ code: 'ENVIRONMENT_NOT_DEPLOYED', file: WEB, line: 5, column: 3 }],
  ],
  [
    'a folder name that is not a valid Application name or namespace',
    { 'services/Web_Admin/infra-sync.yaml': 'source: acme/admin\nimage: ghcr.io/acme/admin\n', 'services/Web_Admin/overlays/dev/kustomization.yaml': overlay('ghcr.io/acme/admin') },
    [
      { code: 'APP_NAME_INVALID', file: 'services/Web_Admin/overlays/dev', line: 1, column: 1 },
      { code: 'NAMESPACE_INVALID', file: 'services/Web_Admin/overlays/dev', line: 1, column: 1 },
    ],
  ],
  [
    'a name longer than 63 characters',
    { [`services/${'a'.repeat(60)}/infra-sync.yaml`]: 'source: acme/long\nimage: ghcr.io/acme/long\n', [`services/${'a'.repeat(60)}/overlays/dev/kustomization.yaml`]: overlay('ghcr.io/acme/long') },
    [{ code: 'APP_NAME_INVALID', file: `services/${'a'.repeat(60)}/overlays/dev`, line: 1, column: 1 }],
  ],
  [
    'two folders render the same name',
    {
      'services/web/infra-sync.yaml': 'source: acme/web2\nimage: ghcr.io/acme/web\nenvironments:\n  frontend-dev:\n',
      'services/web/overlays/frontend-dev/kustomization.yaml': overlay('ghcr.io/acme/web'),
    },
    [
      { code: 'APP_NAME_DUPLICATE', file: 'services/web/overlays/frontend-dev', line: 1, column: 1 },
      { code: 'APP_NAME_DUPLICATE', file: 'services/web-frontend/overlays/dev', line: 1, column: 1 },
    ],
  ],
  ['the AppProject does not allow the repository', { 'argocd/project.yaml': PROJECT.replace('https://github.com/acme/infra.git', 'https://github.com/acme/other.git') }, [{ code: 'REPO_URL_MISMATCH', file: 'argocd/project.yaml', ...SOURCE_REPO }]],
  [
    'a namespace the AppProject does not allow',
    { 'services/web-frontend/overlays/qa/kustomization.yaml': overlay('ghcr.io/acme/web-frontend'), [WEB]: web('environments:\n  dev:\n  prod:\n  qa:\n') },
    [{ code: 'NAMESPACE_NOT_PERMITTED', file: 'services/web-frontend/overlays/qa', line: 1, column: 1 }],
  ],
]

for (const [name, edits, expected] of cases) {
  t.test(`finds ${name}`, async (t) => {
    const dir = makeCheckout(t, edits)
    const j = findings(dir)
    t.equal(j.status, 1)
    for (const e of expected) t.ok(j.findings.some((f) => f.code === e.code && f.file === e.file && f.line === e.line && f.column === e.column), `${e.code} at ${e.file}:${e.line}:${e.column} in ${JSON.stringify(j.findings)}`)
    for (const f of j.findings) {
      t.same(Object.keys(f).sort(), ['code', 'column', 'file', 'line', 'message'])
      t.type(f.message, 'string')
    }
    // The human form carries the same findings, one per line.
    const human = validate(dir)
    t.equal(human.status, 1)
    t.equal(human.stdout.trimEnd().split('\n').length, j.findings.length)
    for (const e of expected) t.ok(human.stdout.split('\n').some((l) => l.startsWith(`${e.file}:${e.line}:${e.column} ${e.code} `)))
  })
}

t.test('without an ApplicationSet the Argo CD rules are skipped', async (t) => {
  const dir = makeCheckout(t, { argocd: null, 'services/billing/overlays/dev/kustomization.yaml': overlay('ghcr.io/acme/billing'), 'services/Web_Admin/infra-sync.yaml': 'source: acme/admin\nimage: ghcr.io/acme/admin\n', 'services/Web_Admin/overlays/dev/kustomization.yaml': overlay('ghcr.io/acme/admin') })
  const r = validate(dir)
  t.equal(r.status, 0, r.stdout)
  t.match(r.stdout, `valid (${EXAMPLES + 1} services)`)
})
