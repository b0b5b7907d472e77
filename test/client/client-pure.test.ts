import t from 'tap'
import { ciDefaults } from '../../src/client/ci-defaults.js'
import { NEEDS_A_PERSON, waitResult } from '../../src/client/event-outcome.js'
import { retryAfterMs } from '../../src/client/request-with-retry.js'
import { commitWebUrl } from '../../src/forges/commit-web-url.js'

t.test('ciDefaults: GitHub Actions and GitLab CI variables; nothing outside a CI', async (t) => {
  t.same(ciDefaults({ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/api', GITHUB_SHA: 'abc', GITHUB_REF: 'refs/tags/v1', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '7' }), {
    source: 'acme/api',
    commit: 'abc',
    ref: 'refs/tags/v1',
    buildUrl: 'https://github.com/acme/api/actions/runs/7',
  })
  t.same(ciDefaults({ GITLAB_CI: 'true', CI_PROJECT_PATH: 'acme/api', CI_COMMIT_SHA: 'abc', CI_COMMIT_BRANCH: 'main', CI_PIPELINE_URL: 'https://gitlab.example/p/1' }), { source: 'acme/api', commit: 'abc', ref: 'refs/heads/main', buildUrl: 'https://gitlab.example/p/1' })
  t.same(ciDefaults({ GITLAB_CI: 'true', CI_PROJECT_PATH: 'group/sub/api', CI_COMMIT_TAG: 'v2', CI_COMMIT_BRANCH: '' }), { ref: 'refs/tags/v2' }, 'a subgroup path is no owner/repo source')
  t.same(ciDefaults({ GITHUB_REPOSITORY: 'acme/api' }), {}, 'outside a CI job nothing is guessed')
})

t.test('waitResult: pending, done, and which endings fail the command', async (t) => {
  const base = { id: 'E', targets: [] }
  for (const status of ['queued', 'failed', 'waiting']) t.same(waitResult({ ...base, status }), { done: false }, status)
  t.match(waitResult({ ...base, status: 'applied', commit: 'c0ffee', commitUrl: 'https://h/r/commit/c0ffee' }), { done: true, line: 'applied: https://h/r/commit/c0ffee' })
  t.notOk(waitResult({ ...base, status: 'applied', commit: 'c0ffee' }).done === false)
  t.match(waitResult({ ...base, status: 'proposed', targets: [{ pullRequest: { url: 'https://h/r/pull/3' } }, { pullRequest: { url: 'https://h/r/pull/3' } }] }), { line: 'proposed: https://h/r/pull/3' })
  t.match(waitResult({ ...base, status: 'rejected' }), { error: { code: 'EVENT_REJECTED' } })
  t.match(waitResult({ ...base, status: 'dead', code: 'PUSH_REFUSED' }), { error: { code: 'EVENT_DEAD' } })
  for (const code of NEEDS_A_PERSON) t.match(waitResult({ ...base, status: 'skipped', targets: [{ service: 's', environment: 'e', code }] }), { error: { code: 'EVENT_SKIPPED' } }, code)
  t.match(waitResult({ ...base, status: 'skipped', code: 'no-target' }), { error: { code: 'EVENT_SKIPPED' } })
  for (const code of ['already-current', 'older', 'pinned', 'branch-filtered', 'policy-filtered', 'superseded']) {
    const r = waitResult({ ...base, status: 'skipped', code: 'mixed', targets: [{ service: 's', environment: 'e', code }] })
    t.ok(r.done && !r.error, `${code} is no failure`)
  }
  for (const status of ['superseded', 'declined']) {
    const r = waitResult({ ...base, status })
    t.ok(r.done && !r.error, status)
  }
})

t.test('retryAfterMs: seconds or an HTTP date', async (t) => {
  t.equal(retryAfterMs('3', 0), 3000)
  t.equal(retryAfterMs(null, 0), undefined)
  t.equal(retryAfterMs('soon', 0), undefined)
  t.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000)
})

t.test('commitWebUrl: https and SSH remotes to their web pages; none for a local repo', async (t) => {
  t.equal(commitWebUrl({ kind: 'http', location: 'https://x-access-token:secret@github.com/acme/infra.git' })?.('ab'), 'https://github.com/acme/infra/commit/ab', 'credentials are left out')
  t.equal(commitWebUrl({ kind: 'ssh', location: 'git@gitlab.example:group/infra.git' })?.('ab'), 'https://gitlab.example/group/infra/commit/ab')
  t.equal(commitWebUrl({ kind: 'ssh', location: 'ssh://git@git.example:2222/acme/infra.git' })?.('ab'), 'https://git.example/acme/infra/commit/ab', 'the SSH port is not the web port')
  t.equal(commitWebUrl({ kind: 'http', location: 'https://bitbucket.org/acme/infra.git' })?.('ab'), 'https://bitbucket.org/acme/infra/commits/ab')
  t.equal(commitWebUrl({ kind: 'http', location: 'http://127.0.0.1:8080/infra.git' })?.('ab'), 'http://127.0.0.1:8080/infra/commit/ab')
  t.equal(commitWebUrl({ kind: 'local', location: '/srv/infra.git' }), undefined)
})
