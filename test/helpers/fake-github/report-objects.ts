import { idOf, nodeId, user, type Site } from './objects.js'
import type { FakeDeployment, FakeStatus } from './types.js'

/** Commit statuses, deployments and the App installation, as GitHub answers them. */
export function commitStatus(site: Site, s: FakeStatus & { id: number; creator: string; at: string }): Record<string, unknown> {
  return {
    url: `${site.api}/repos/${s.repo}/statuses/${s.sha}`,
    avatar_url: null,
    id: s.id,
    node_id: nodeId('SC', s.id),
    state: s.state,
    description: s.description ?? null,
    target_url: s.targetUrl ?? null,
    context: s.context,
    created_at: s.at,
    updated_at: s.at,
    creator: user(site, s.creator),
  }
}

export function deployment(site: Site, d: FakeDeployment & { sha: string; creator: string; at: string; payload: unknown; task: string }): Record<string, unknown> {
  const api = `${site.api}/repos/${d.repo}`
  return {
    url: `${api}/deployments/${d.id}`,
    id: d.id,
    node_id: nodeId('DE', d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload ?? {},
    original_environment: d.environment,
    environment: d.environment,
    description: d.description ?? null,
    creator: user(site, d.creator),
    created_at: d.at,
    updated_at: d.at,
    statuses_url: `${api}/deployments/${d.id}/statuses`,
    repository_url: api,
    transient_environment: false,
    production_environment: false,
  }
}

export function deploymentStatus(
  site: Site,
  repo: string,
  deploymentId: number,
  s: { id: number; state: string; description?: string; environment: string; environmentUrl?: string; logUrl?: string; creator: string; at: string },
): Record<string, unknown> {
  const api = `${site.api}/repos/${repo}`
  return {
    url: `${api}/deployments/${deploymentId}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DES', s.id),
    state: s.state,
    creator: user(site, s.creator),
    description: s.description ?? '',
    environment: s.environment,
    target_url: s.logUrl ?? '',
    log_url: s.logUrl ?? '',
    environment_url: s.environmentUrl ?? '',
    created_at: s.at,
    updated_at: s.at,
    deployment_url: `${api}/deployments/${deploymentId}`,
    repository_url: api,
  }
}

export function installation(site: Site, app: { id: number; installationId: number; slug: string }): Record<string, unknown> {
  return {
    id: app.installationId,
    account: user(site, site.owner),
    access_tokens_url: `${site.api}/app/installations/${app.installationId}/access_tokens`,
    repositories_url: `${site.api}/installation/repositories`,
    html_url: `${site.web}/organizations/${site.owner}/settings/installations/${app.installationId}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: idOf('user', site.owner),
    target_type: 'Organization',
    permissions: { contents: 'write', pull_requests: 'write', statuses: 'write', deployments: 'write', metadata: 'read' },
    events: ['pull_request', 'push'],
    created_at: site.since,
    updated_at: site.since,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    repository_selection: 'all',
    suspended_by: null,
    suspended_at: null,
  }
}
