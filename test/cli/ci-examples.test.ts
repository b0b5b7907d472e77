import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { CLI, spawnServer } from '../helpers/child-server.js'
import { commits, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { FALLBACK } from '../helpers/sign.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * The CI examples in examples/ run as their CI would run them: the GitHub
 * composite action's script with its inputs and the job's variables, and the
 * GitLab job's script with its variables, against a real server. Only the
 * container is stood in for: `docker run … IMAGE node dist/cli.js ARGS`
 * (and the image's /app/dist/cli.js) become this checkout's dist/cli.js, with
 * only the variables the example passes by name.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..')

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 70) : 0, stdout, stderr }))
  })
}

/** A `docker` on PATH that runs `docker run [--rm] [--network X] [-e NAME]… IMAGE node dist/cli.js ARGS` as `node <checkout>/dist/cli.js ARGS`, refusing `-e NAME=value` (a secret on a command line). */
function fakeDocker(dir: string): string {
  const bin = path.join(dir, 'bin')
  fs.mkdirSync(bin)
  fs.writeFileSync(
    path.join(bin, 'docker'),
    `#!/usr/bin/env bash
set -euo pipefail
[ "$1" = run ] || exit 64
shift
keep=(PATH="$PATH")
while [ $# -gt 0 ]; do
  case "$1" in
    --rm) shift ;;
    --network) shift 2 ;;
    -e) case "$2" in *=*) echo "a value on the command line: $2" >&2; exit 65 ;; esac
        [ -n "\${!2+x}" ] && keep+=("$2=\${!2}"); shift 2 ;;
    *) break ;;
  esac
done
shift # the image
[ "$1 $2" = "node dist/cli.js" ] || exit 66
shift 2
exec env -i "\${keep[@]}" "${process.execPath}" "${CLI}" "$@"
`,
    { mode: 0o755 },
  )
  return bin
}

t.test('the CI examples deploy a build against a real server', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const server = await spawnServer(dir, { INFRA_SYNC_REPO: bare, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: path.join(dir, 'data') })
  t.teardown(() => server.proc.kill('SIGKILL'))
  const sha = 'b'.repeat(40)

  t.test('GitHub Actions: the composite action', async (t) => {
    const action = parse(fs.readFileSync(path.join(ROOT, 'examples', 'github-actions', 'notify', 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default?: string }>
      runs: { steps: { run: string; env: Record<string, string> }[] }
    }
    const inputs: Record<string, string> = { ...Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default ?? ''])), server: server.url, image: 'ghcr.io/acme/orders-api', tag: '1.5.0', secret: FALLBACK }
    const step = action.runs.steps[0]!
    const expand = (s: string) => s.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, k: string) => inputs[k] ?? '')
    const env = {
      PATH: `${fakeDocker(dir)}:${process.env.PATH}`,
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/orders-api',
      GITHUB_SHA: sha,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '99',
      ...Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, expand(v)])),
    }
    const r = await run('bash', ['-c', expand(step.run)], env)
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^applied: [0-9a-f]{40}\n$/)
    t.equal(commits(bare)[0]!.subject, 'deploy(orders-api/dev): 1.4.1 → 1.5.0')
    t.notOk(r.stdout.includes(FALLBACK) || r.stderr.includes(FALLBACK), 'the secret is never printed')
  })

  t.test('GitLab CI: the job template', async (t) => {
    const file = parse(fs.readFileSync(path.join(ROOT, 'examples', 'gitlab-ci', 'notify.yml'), 'utf8')) as Record<string, { variables: Record<string, string>; script: string[] }>
    const job = file['.infra-sync-notify']!
    // The image's /app/dist/cli.js is this checkout's.
    const script = `node() { if [ "$1" = /app/dist/cli.js ]; then shift; fi; command node "${CLI}" "$@"; }\n${job.script.join('\n')}`
    const env = {
      PATH: process.env.PATH ?? '',
      ...job.variables,
      GITLAB_CI: 'true',
      CI_PROJECT_PATH: 'acme/orders-api',
      CI_COMMIT_SHA: sha,
      CI_COMMIT_BRANCH: 'main',
      CI_PIPELINE_URL: 'https://gitlab.example/acme/orders-api/-/pipelines/5',
      INFRA_SYNC_SECRET: FALLBACK,
      INFRA_SYNC_SERVER: server.url,
      IMAGE: 'ghcr.io/acme/orders-api',
      TAG: '1.5.1',
    }
    const r = await run('bash', ['-c', script], env)
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^applied: [0-9a-f]{40}\n$/)
    t.equal(commits(bare)[0]!.subject, 'deploy(orders-api/dev): 1.5.0 → 1.5.1')
  })
})
