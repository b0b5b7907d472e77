import { notFound, sameRepo, validationFailed, type ApiAnswer, type Handler } from './answers.js'
import { isoSeconds, repository } from './objects.js'
import { commitStatus, deployment, deploymentStatus, installation } from './report-objects.js'

/**
 * Commit statuses and deployments (on any repository: infra-sync reports to the source repositories), and the
 * GitHub App's installation endpoints.
 */

const createStatus: Handler = async (call) => {
  const { hub, body, op } = call
  const description: string | undefined = body.description ?? undefined
  if (description !== undefined && description.length > 140) {
    return validationFailed({ resource: 'Status', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' })
  }
  const stored = {
    id: hub.newId(),
    repo: `${op.params.owner}/${op.params.repo}`,
    sha: op.params.sha!,
    context: body.context ?? 'default',
    state: body.state,
    ...(description !== undefined && { description }),
    ...(typeof body.target_url === 'string' && { targetUrl: body.target_url }),
    creator: call.login,
    at: isoSeconds(Date.now()),
  }
  hub.statuses.push(stored)
  return { status: 201, body: commitStatus(hub.site, stored), headers: { location: `${hub.site.api}/repos/${stored.repo}/statuses/${stored.sha}` } }
}

/** The latest status of each context, and the state they add up to (failure beats pending beats success). */
const combinedStatus: Handler = async (call) => {
  const { hub, op } = call
  const repo = `${op.params.owner}/${op.params.repo}`
  let sha = op.params.ref!
  if (sameRepo(call) && !/^[0-9a-f]{40}$/.test(sha)) {
    const tip = (await hub.refresh()).get(sha.replace(/^heads\//, ''))
    if (!tip) return notFound()
    sha = tip
  }
  const latest = new Map<string, (typeof hub.statuses)[number]>()
  for (const s of hub.statuses) if (s.repo.toLowerCase() === repo.toLowerCase() && s.sha === sha) latest.set(s.context, s)
  const statuses = [...latest.values()].reverse()
  const state = statuses.some((s) => s.state === 'error' || s.state === 'failure')
    ? 'failure'
    : statuses.length === 0 || statuses.some((s) => s.state === 'pending')
      ? 'pending'
      : 'success'
  return {
    status: 200,
    body: {
      state,
      statuses: statuses.map((s) => {
        const { creator: _c, ...simple } = commitStatus(hub.site, s)
        return simple
      }),
      sha,
      total_count: statuses.length,
      repository: repository(hub.site, repo),
      commit_url: `${hub.site.api}/repos/${repo}/commits/${sha}`,
      url: `${hub.site.api}/repos/${repo}/commits/${sha}/status`,
    },
  }
}

const createDeployment: Handler = async (call) => {
  const { hub, body, op } = call
  const stored = {
    id: hub.newId(),
    repo: `${op.params.owner}/${op.params.repo}`,
    ref: body.ref,
    sha: /^[0-9a-f]{40}$/.test(body.ref) ? body.ref : '0'.repeat(40),
    environment: body.environment ?? 'production',
    ...(typeof body.description === 'string' && { description: body.description }),
    task: body.task ?? 'deploy',
    payload: body.payload ?? {},
    statuses: [],
    creator: call.login,
    at: isoSeconds(Date.now()),
  }
  hub.deployments.push(stored)
  return { status: 201, body: deployment(hub.site, stored) }
}

const createDeploymentStatus: Handler = async (call) => {
  const { hub, body, op } = call
  const repo = `${op.params.owner}/${op.params.repo}`
  const d = hub.deployments.find((x) => x.id === Number(op.params.deployment_id) && x.repo.toLowerCase() === repo.toLowerCase())
  if (!d) return notFound()
  if (typeof body.description === 'string' && body.description.length > 140) {
    return validationFailed({ resource: 'DeploymentStatus', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' })
  }
  const logUrl: string | undefined = body.log_url ?? body.target_url
  const s = {
    id: hub.newId(),
    state: body.state,
    ...(typeof body.description === 'string' && { description: body.description }),
    environment: body.environment ?? d.environment,
    ...(typeof body.environment_url === 'string' && { environmentUrl: body.environment_url }),
    ...(typeof logUrl === 'string' && { logUrl }),
    creator: call.login,
    at: isoSeconds(Date.now()),
  }
  d.statuses.push({ state: s.state, ...(s.environmentUrl && { environmentUrl: s.environmentUrl }), ...(s.logUrl && { logUrl: s.logUrl }), ...(s.description && { description: s.description }) })
  return { status: 201, body: deploymentStatus(hub.site, d.repo, d.id, s) }
}

const repoInstallation: Handler = async (call) => {
  const app = call.hub.auth.app
  if (!app || !sameRepo(call)) return notFound()
  return { status: 200, body: installation(call.hub.site, app) }
}

const accessToken: Handler = async (call): Promise<ApiAnswer> => {
  const app = call.hub.auth.app
  if (!app || Number(call.op.params.installation_id) !== app.installationId) return notFound()
  const { token, expiresAt } = call.hub.auth.issue()
  // Seconds, rounded down: a client that trusts expires_at refreshes a little early, never late.
  const expires = new Date(Math.floor(expiresAt / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z')
  return {
    status: 201,
    body: {
      token,
      expires_at: expires,
      permissions: { contents: 'write', pull_requests: 'write', statuses: 'write', deployments: 'write', metadata: 'read' },
      repository_selection: 'all',
    },
  }
}

export const repoRoutes: Record<string, Handler> = {
  'repos/create-commit-status': createStatus,
  'repos/get-combined-status-for-ref': combinedStatus,
  'repos/create-deployment': createDeployment,
  'repos/create-deployment-status': createDeploymentStatus,
  'apps/get-repo-installation': repoInstallation,
  'apps/create-installation-access-token': accessToken,
}
