import { createHash } from 'node:crypto'

/**
 * GitHub's answers as full objects, the shapes the published description requires (pull requests carry a
 * whole repository and several users each): built here only, so every route answers the same shape.
 */
export interface Site {
  /** http://127.0.0.1:<port>: html_url and clone URLs (GHES serves both on one host). */
  readonly web: string
  /** `${web}/api/v3` */
  readonly api: string
  readonly owner: string
  readonly repo: string
  readonly branch: string
  /** When the fake started: the repository's created_at. */
  readonly since: string
}

/** ISO 8601 at seconds, as GitHub writes times. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** A stable positive id from a name, so users and repositories keep theirs across answers. */
export function idOf(kind: string, name: string): number {
  return (createHash('sha256').update(`${kind}:${name}`).digest().readUInt32BE(0) % 90_000_000) + 1_000_000
}

export const nodeId = (prefix: string, id: number) => `${prefix}_kgDO${Buffer.from(String(id)).toString('base64url')}`

export function user(site: Site, login: string): Record<string, unknown> {
  const bot = login.endsWith('[bot]')
  const org = login === site.owner
  const id = idOf('user', login)
  const api = `${site.api}/users/${encodeURIComponent(login)}`
  return {
    login,
    id,
    node_id: nodeId(bot ? 'BOT' : org ? 'O' : 'U', id),
    avatar_url: `${site.web}/avatars/u/${id}`,
    gravatar_id: '',
    url: api,
    html_url: `${site.web}/${bot ? `apps/${login.slice(0, -5)}` : login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: bot ? 'Bot' : org ? 'Organization' : 'User',
    user_view_type: 'public',
    site_admin: false,
  }
}

/** A repository object (`repository` and `minimal-repository`, and the webhooks' `repository-webhooks`). */
export function repository(site: Site, fullName = `${site.owner}/${site.repo}`): Record<string, unknown> {
  const [owner, name] = fullName.split('/') as [string, string]
  const id = idOf('repo', fullName)
  const api = `${site.api}/repos/${fullName}`
  const html = `${site.web}/${fullName}`
  return {
    id,
    node_id: nodeId('R', id),
    name,
    full_name: fullName,
    private: true,
    owner: user(site, owner),
    html_url: html,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://${new URL(site.web).host}/${fullName}.git`,
    hooks_url: `${api}/hooks`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${new URL(site.web).hostname}:${fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 1,
    default_branch: site.branch,
    open_issues_count: 0,
    open_issues: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    license: null,
    pushed_at: site.since,
    created_at: site.since,
    updated_at: site.since,
    allow_forking: false,
    web_commit_signoff_required: false,
  }
}

export function label(site: Site, name: string): Record<string, unknown> {
  const id = idOf('label', name)
  return { id, node_id: nodeId('LA', id), url: `${site.api}/repos/${site.owner}/${site.repo}/labels/${encodeURIComponent(name)}`, name, description: '', color: 'ededed', default: false }
}
