/**
 * What a CI job already knows about its build, from the variables GitHub
 * Actions and GitLab CI set, so `infra-sync notify` needs only the image and
 * tag there. An option given on the command line always wins.
 */
export interface CiDefaults {
  readonly source?: string
  readonly commit?: string
  readonly ref?: string
  readonly buildUrl?: string
}

type Env = Readonly<Record<string, string | undefined>>

const given = (v: string | undefined) => (v === undefined || v === '' ? undefined : v)

export function ciDefaults(env: Env): CiDefaults {
  if (given(env.GITHUB_ACTIONS) === 'true') {
    const run = given(env.GITHUB_SERVER_URL) && given(env.GITHUB_REPOSITORY) && given(env.GITHUB_RUN_ID) ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined
    return strip({ source: given(env.GITHUB_REPOSITORY), commit: given(env.GITHUB_SHA), ref: given(env.GITHUB_REF), buildUrl: run })
  }
  if (given(env.GITLAB_CI) === 'true') {
    // GitLab names the branch or tag without refs/; a project path may have subgroups, which is no owner/repo source.
    const ref = given(env.CI_COMMIT_TAG) ? `refs/tags/${env.CI_COMMIT_TAG}` : given(env.CI_COMMIT_BRANCH) ? `refs/heads/${env.CI_COMMIT_BRANCH}` : undefined
    const path = given(env.CI_PROJECT_PATH)
    return strip({ source: path && path.split('/').length === 2 ? path : undefined, commit: given(env.CI_COMMIT_SHA), ref, buildUrl: given(env.CI_PIPELINE_URL) })
  }
  return {}
}

function strip(d: Record<string, string | undefined>): CiDefaults {
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as CiDefaults
}
