import { parseBuildEvent, type BuildEvent } from '../core/build-event.js'
import { isValidDigest } from '../core/image-ref.js'

/**
 * GitHub webhooks as build events, after @octokit/webhooks has verified
 * X-Hub-Signature-256. Pure: a verified payload in, a decision out.
 *
 * - `registry_package` / `package` published for a container image (GHCR):
 *   one build event per tag of the version, from the repository the package
 *   belongs to. GitHub does not say which branch built a package: the ref is
 *   the version's target_commitish when it names a branch, otherwise the
 *   repository's default branch (say so in `branches` if that is not good
 *   enough, or send the generic event from CI, which names its ref).
 * - `push` to the infra repository's branch: refresh the clone now.
 * - `pull_request` closed (merged or not) on one of infra-sync's branches of
 *   the infra repository: settle that pull request now rather than at the
 *   next poll.
 * - anything else: acknowledged and ignored, with the reason.
 */
export type GithubDecision =
  | { readonly kind: 'events'; readonly events: readonly { readonly deliveryId: string; readonly event: BuildEvent }[] }
  | { readonly kind: 'refresh'; readonly reason: string }
  | { readonly kind: 'pull-request'; readonly number: number; readonly reason: string }
  | { readonly kind: 'ignored'; readonly reason: string }

export interface InfraRepoRef {
  /** The infra repository's location as configured (URL or path). */
  readonly location: string
  readonly branch: string
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const SHA = /^[0-9a-f]{40}$/

/** host/owner/name of a repository URL, lower-case, without credentials, scheme or `.git`. */
export function repoKey(location: string): string | undefined {
  try {
    // A local infra repo (tests, a mirror on the same machine) compares as its file:// URL.
    const u = new URL(location.startsWith('/') ? `file://${location}` : location)
    return `${u.host}${u.pathname}`.toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '')
  } catch {
    return undefined
  }
}

function tagsOf(version: Obj): string[] {
  const tags = new Set<string>()
  const meta = obj(version.container_metadata)
  const tag = str(obj(meta?.tag)?.name)
  if (tag) tags.add(tag)
  for (const d of Array.isArray(version.docker_metadata) ? version.docker_metadata : []) {
    for (const t of Array.isArray(obj(d)?.tags) ? (obj(d)!.tags as unknown[]) : []) if (str(t)) tags.add(t as string)
  }
  return [...tags]
}

function digestOf(version: Obj): string | undefined {
  const fromTag = str(obj(obj(version.container_metadata)?.tag)?.digest)
  if (fromTag && isValidDigest(fromTag)) return fromTag
  for (const v of [version.version, version.name]) if (typeof v === 'string' && isValidDigest(v)) return v
  return undefined
}

function commitOf(version: Obj): string | undefined {
  const labels = obj(obj(version.container_metadata)?.labels)
  const revision = str(labels?.['org.opencontainers.image.revision'])
  if (revision && SHA.test(revision)) return revision
  const commitish = str(version.target_commitish)
  return commitish && SHA.test(commitish) ? commitish : undefined
}

function packageEvent(name: string, deliveryId: string, body: Obj): GithubDecision {
  if (body.action !== 'published') return { kind: 'ignored', reason: `${name} ${String(body.action)}: only published versions are builds` }
  const pkg = obj(body.registry_package) ?? obj(body.package)
  if (!pkg) return { kind: 'ignored', reason: `${name} without a package` }
  const type = String(pkg.package_type ?? pkg.ecosystem ?? '').toLowerCase()
  if (type !== 'container' && type !== 'docker') return { kind: 'ignored', reason: `a ${type || 'unknown'} package is not a container image` }
  const repository = obj(body.repository)
  const source = str(repository?.full_name)
  if (!source) return { kind: 'ignored', reason: 'the package is not linked to a repository, so no source can be named' }
  const owner = str(pkg.namespace) ?? str(obj(pkg.owner)?.login)
  const pkgName = str(pkg.name)
  if (!owner || !pkgName) return { kind: 'ignored', reason: 'the package has no owner or name' }
  const registryUrl = str(obj(pkg.registry)?.url)
  let host = 'ghcr.io'
  if (registryUrl) {
    try {
      host = new URL(registryUrl).host || host
    } catch {
      // Keep ghcr.io: the registry URL is informational.
    }
  }
  const version = obj(pkg.package_version) ?? {}
  const tags = tagsOf(version)
  if (tags.length === 0) return { kind: 'ignored', reason: 'an untagged version (such as one platform of a multi-platform image) is not a build to deploy' }
  const commitish = str(version.target_commitish)
  const branch = commitish && !SHA.test(commitish) ? commitish.replace(/^refs\/heads\//, '') : str(repository?.default_branch)
  const digest = digestOf(version)
  const commit = commitOf(version)
  const builtAt = str(version.created_at) ?? str(version.updated_at) ?? str(pkg.updated_at)
  const events = tags.map((tag) => ({
    deliveryId: tags.length === 1 ? deliveryId : `${deliveryId}#${tag}`,
    event: parseBuildEvent({
      source,
      image: `${host}/${owner}/${pkgName}`.toLowerCase(),
      tag,
      ...(digest && { digest }),
      ...(commit && { commit }),
      ...(branch && { ref: `refs/heads/${branch}` }),
      ...(builtAt && !Number.isNaN(Date.parse(builtAt)) && { builtAt: new Date(builtAt).toISOString() }),
      ...(str(version.html_url) && { buildUrl: version.html_url }),
    }),
  }))
  return { kind: 'events', events }
}

/** Whether a payload's repository is the infra repository (any of the URLs GitHub gives for it). */
function isInfraRepo(body: Obj, infra: InfraRepoRef): boolean {
  const repository = obj(body.repository)
  const ours = repoKey(infra.location)
  const theirs = [repository?.clone_url, repository?.html_url, repository?.url].map((u) => (typeof u === 'string' ? repoKey(u) : undefined))
  return ours !== undefined && theirs.includes(ours)
}

function pullRequestEvent(body: Obj, infra: InfraRepoRef): GithubDecision {
  if (!isInfraRepo(body, infra)) return { kind: 'ignored', reason: 'a pull request in another repository' }
  const pr = obj(body.pull_request)
  const head = str(obj(pr?.head)?.ref)
  if (!head?.startsWith('infra-sync/')) return { kind: 'ignored', reason: 'a pull request that infra-sync did not open' }
  const number = pr?.number ?? body.number
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) return { kind: 'ignored', reason: 'a pull request without a number' }
  // infra-sync never reopens a pull request; an edit or a push to its branch changes nothing it tracks.
  if (body.action !== 'closed') return { kind: 'ignored', reason: `pull request #${number} ${String(body.action).slice(0, 40)}: only a merge or a close settles it` }
  return { kind: 'pull-request', number, reason: `pull request #${number} was ${pr?.merged === true ? 'merged' : 'closed without merge'}` }
}

export function githubDecision(name: string, deliveryId: string, payload: unknown, infra: InfraRepoRef): GithubDecision {
  const body = obj(payload)
  if (!body) return { kind: 'ignored', reason: 'the payload is not an object' }
  switch (name) {
    case 'ping':
      return { kind: 'ignored', reason: 'ping' }
    case 'registry_package':
    case 'package':
      return packageEvent(name, deliveryId, body)
    case 'push':
      if (isInfraRepo(body, infra) && body.ref === `refs/heads/${infra.branch}`) return { kind: 'refresh', reason: `a push to ${infra.branch} of the infra repository` }
      return { kind: 'ignored', reason: 'a push to another repository or branch' }
    case 'pull_request':
      return pullRequestEvent(body, infra)
    default:
      return { kind: 'ignored', reason: `${name} events are not builds` }
  }
}
