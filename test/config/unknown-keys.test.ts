import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { editDistance, nearest } from '../../src/core/schema-check.js'
import { parseServiceConfig } from '../../src/projects/service-config.js'
import { tmpDir } from '../helpers/tmp.js'

const LONG = 'a-secret-that-is-long-enough-0123456789'

function configRefusal(t: { teardown(fn: () => unknown): void }, text: string): unknown {
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), text)
  try {
    loadConfig({ INFRA_SYNC_SECRET: LONG }, dir)
  } catch (e) {
    return e
  }
  return undefined
}

t.test('an unknown key anywhere in the config file is refused with its path and the nearest known name', async (t) => {
  const cases: [string, string, string | undefined][] = [
    ['rateLimit: { persecond: 5 }\n', 'rateLimit.persecond', 'perSecond'],
    ['worker: { batchsize: 5 }\n', 'worker.batchsize', 'batchSize'],
    ['worker: { retentionDay: 5 }\n', 'worker.retentionDay', 'retentionDays'],
    ['http: { requestTimeout: 5000 }\n', 'http.requestTimeout', 'requestTimeoutMs'],
    ['author: { mail: a@b.c }\n', 'author.mail', 'email'],
    [`sources:\n  acme/a: { secrt: ${LONG} }\n`, 'sources.acme/a.secrt', 'secret'],
    [`sources:\n  acme/a: { secret_env: X }\n`, 'sources.acme/a.secret_env', 'secretEnv'],
    ['githubsecret: x\n', 'githubsecret', 'githubSecret'],
    ['databaseURL: sqlite:x\n', 'databaseURL', 'databaseUrl'],
    ['colour: blue\n', 'colour', undefined],
    ['rateLimit: { perMinute: 5 }\n', 'rateLimit.perMinute', undefined],
  ]
  for (const [text, p, suggestion] of cases) {
    const err = configRefusal(t, text) as { code: string; data: Record<string, unknown> }
    t.match(err, { code: 'CONFIG_INVALID', data: { path: p, keyword: 'additionalProperties' } }, text)
    t.equal(err?.data.suggestion, suggestion, `${p} → ${suggestion}`)
  }
})

t.test('every problem of a file is listed, not only the first', async (t) => {
  const err = configRefusal(t, 'prot: 1\nworker: { batchSize: 0, polMs: 5 }\nrateLimit: { burst: "many" }\n') as { data: { problems: { path: string; keyword: string }[] } }
  t.same(
    err.data.problems.map((p) => [p.path, p.keyword]).sort(),
    [
      ['prot', 'additionalProperties'],
      ['rateLimit.burst', 'type'],
      ['worker.batchSize', 'exclusiveMinimum'],
      ['worker.polMs', 'additionalProperties'],
    ],
  )
})

t.test('an unknown key anywhere in infra-sync.yaml is refused with its path and the nearest known name', async (t) => {
  const base = 'source: acme/a\nimage: ghcr.io/acme/a\n'
  const cases: [string, string, string | undefined][] = [
    ['enviroments: {}\n', 'enviroments', 'environments'],
    ['imagepolicies: [a:b]\n', 'imagepolicies', 'imagePolicies'],
    ['branch: main\n', 'branch', 'branches'],
    ['environments:\n  prod: { pathh: overlays/prod }\n', 'environments.prod.pathh', 'path'],
    ['environments:\n  prod:\n    updte: commit\n', 'environments.prod.updte', 'update'],
    ['environments:\n  prod: { Pin: true }\n', 'environments.prod.Pin', 'pin'],
    ['environments:\n  prod: { colour: blue }\n', 'environments.prod.colour', undefined],
    ['windws: []\n', 'windws', 'windows'],
  ]
  for (const [extra, p, suggestion] of cases) {
    const err = (() => {
      try {
        parseServiceConfig(base + extra, 'services/a/infra-sync.yaml')
      } catch (e) {
        return e as { code: string; data: Record<string, unknown> }
      }
      return undefined
    })()
    t.match(err, { code: 'CONFIG_INVALID', data: { file: 'services/a/infra-sync.yaml', path: p, keyword: 'additionalProperties' } }, extra)
    t.equal(err?.data.suggestion, suggestion, `${p} → ${suggestion}`)
  }
})

t.test('a value outside a fixed set suggests the nearest allowed one', async (t) => {
  t.throws(() => parseServiceConfig('source: a/b\nimage: x/y\nenvironments:\n  prod: { update: pull_request }\n', 'f'), {
    code: 'CONFIG_INVALID',
    data: { path: 'environments.prod.update', keyword: 'enum', suggestion: 'pull-request' },
  })
  t.throws(() => parseServiceConfig('source: a/b\nimage: x/y\nformat: kustomise\n', 'f'), { code: 'CONFIG_INVALID', data: { path: 'format', keyword: 'enum', suggestion: 'kustomize' } })
})

t.test('edit distance: a swap of neighbours is one edit; only close names are suggested', async (t) => {
  t.equal(editDistance('secert', 'secret'), 1)
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(nearest('PERSECOND', ['burst', 'perSecond']), 'perSecond', 'case is ignored')
  t.equal(nearest('colour', ['policy', 'path', 'source']), undefined)
  t.equal(nearest('ky', ['key', 'pin']), 'key')
})
