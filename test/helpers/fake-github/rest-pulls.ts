import { message, notFound, sameRepo, validationFailed, type ApiAnswer, type ApiCall, type Handler } from './answers.js'
import { isAncestor } from './bare-repo.js'
import { label } from './objects.js'
import { pullRequestSimple, type PullRecord } from './pull-objects.js'

/** The pull-request routes, with the rules of GitHub's that infra-sync depends on. */

function pullOf(call: ApiCall, param = 'pull_number'): PullRecord | undefined {
  if (!sameRepo(call)) return undefined
  return call.hub.pulls.get(Number(call.op.params[param]))
}

/** `owner:branch` or `branch` → the branch, when it names this repository's owner. */
function headBranch(call: ApiCall, head: string): string | undefined {
  const colon = head.indexOf(':')
  if (colon < 0) return head
  return head.slice(0, colon).toLowerCase() === call.hub.site.owner.toLowerCase() ? head.slice(colon + 1) : undefined
}

const list: Handler = async (call) => {
  if (!sameRepo(call)) return notFound()
  const { hub, query } = call
  const tips = await hub.refresh()
  const state = query.state ?? 'open'
  const sort = query.sort ?? 'created'
  // GitHub: desc by default when sorting by creation, asc otherwise.
  const direction = query.direction ?? (sort === 'created' ? 'desc' : 'asc')
  const perPage = Math.min(Number(query.per_page ?? 30), 100)
  const page = Math.max(Number(query.page ?? 1), 1)
  // A head not of the form owner:branch is ignored, as GitHub ignores it.
  const head = query.head?.includes(':') ? query.head : undefined
  let pulls = [...hub.pulls.values()].filter((p) => state === 'all' || p.state === state)
  if (head) pulls = pulls.filter((p) => headBranch(call, head) === p.head)
  if (query.base) pulls = pulls.filter((p) => p.base === query.base)
  const key = (p: PullRecord) => (sort === 'updated' ? p.updatedMs : p.createdMs)
  pulls.sort((a, b) => (key(a) - key(b) || a.number - b.number) * (direction === 'asc' ? 1 : -1))
  const slice = pulls.slice((page - 1) * perPage, page * perPage)
  const headers: Record<string, string> = {}
  if (pulls.length > page * perPage) {
    const next = new URL(`${hub.site.api}/repos/${hub.fullName}/pulls`)
    for (const [k, v] of Object.entries({ ...query, page: String(page + 1) })) next.searchParams.set(k, v)
    headers.link = `<${next.href}>; rel="next"`
  }
  return { status: 200, body: slice.map((p) => pullRequestSimple(hub.site, p, tips.get(p.base) ?? p.headSha)), headers }
}

const create: Handler = (call) =>
  call.hub.exclusive(async (): Promise<ApiAnswer> => {
    if (!sameRepo(call)) return notFound()
    const { hub, body } = call
    if (typeof body.title !== 'string' || typeof body.head !== 'string' || typeof body.base !== 'string') {
      return validationFailed({ resource: 'PullRequest', code: 'missing_field', field: typeof body.head !== 'string' ? 'head' : typeof body.base !== 'string' ? 'base' : 'title' })
    }
    const tips = await hub.refresh()
    const head = headBranch(call, body.head)
    const headSha = head === undefined ? undefined : tips.get(head)
    if (head === undefined || headSha === undefined) return validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' })
    const baseSha = tips.get(body.base)
    if (baseSha === undefined) return validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' })
    const open = [...hub.pulls.values()].find((p) => p.state === 'open' && p.head === head && p.base === body.base)
    if (open) {
      return validationFailed({ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${hub.site.owner}:${head}.` })
    }
    if (await isAncestor(hub.bare, headSha, baseSha)) {
      return validationFailed({ resource: 'PullRequest', code: 'custom', message: `No commits between ${body.base} and ${head}` })
    }
    const pr = hub.createPull({ title: body.title, body: body.body ?? '', head, base: body.base, headSha, author: call.login })
    return { status: 201, body: await hub.pullObject(pr, tips), headers: { location: `${hub.site.api}/repos/${hub.fullName}/pulls/${pr.number}` } }
  })

const get: Handler = async (call) => {
  const pr = pullOf(call)
  if (!pr) return notFound()
  return { status: 200, body: await call.hub.pullObject(pr, await call.hub.refresh()) }
}

const update: Handler = (call) =>
  call.hub.exclusive(async (): Promise<ApiAnswer> => {
    const pr = pullOf(call)
    if (!pr) return notFound()
    const { hub, body } = call
    let tips = await hub.refresh()
    if (typeof body.title === 'string') pr.title = body.title
    if (typeof body.body === 'string') pr.body = body.body
    if (body.state === 'closed' && pr.state === 'open') {
      await hub.close(pr, call.login)
    } else if (body.state === 'open' && pr.state === 'closed') {
      if (pr.merged) return validationFailed({ resource: 'PullRequest', code: 'custom', field: 'state', message: 'state cannot be changed. The pull request cannot be reopened because it was merged.' })
      const other = [...hub.pulls.values()].find((p) => p.state === 'open' && p.head === pr.head && p.base === pr.base)
      if (other) return validationFailed({ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${hub.site.owner}:${pr.head}.` })
      pr.state = 'open'
      delete pr.closedAt
      tips = await hub.refresh()
    }
    hub.touch(pr)
    return { status: 200, body: await hub.pullObject(pr, tips) }
  })

const merge: Handler = (call) =>
  call.hub.exclusive(async (): Promise<ApiAnswer> => {
    const pr = pullOf(call)
    if (!pr) return notFound()
    const body = (call.body ?? {}) as { sha?: string; merge_method?: 'merge' | 'squash' | 'rebase'; commit_title?: string; commit_message?: string }
    if (pr.state !== 'open') return message(405, 'Pull Request is not mergeable')
    const r = await call.hub.merge(pr, { login: call.login, method: body.merge_method ?? 'merge', ...(body.sha !== undefined && { sha: body.sha }), ...(body.commit_title !== undefined && { title: body.commit_title }), ...(body.commit_message !== undefined && { message: body.commit_message }) })
    switch (r.kind) {
      case 'merged':
        return { status: 200, body: { sha: r.sha, merged: true, message: 'Pull Request successfully merged' } }
      case 'head-moved':
        return message(409, 'Head branch was modified. Review and try the merge again.')
      case 'base-moved':
        return message(405, 'Base branch was modified. Review and try the merge again.')
      case 'not-mergeable':
        return message(405, 'Pull Request is not mergeable')
    }
  })

const requestReviewers: Handler = (call) =>
  call.hub.exclusive(async (): Promise<ApiAnswer> => {
    const pr = pullOf(call)
    if (!pr) return notFound()
    const { hub, body } = call
    const reviewers: string[] = body.reviewers ?? []
    if (reviewers.some((r) => r.toLowerCase() === pr.author.toLowerCase())) {
      return validationFailed({ resource: 'PullRequest', code: 'custom', message: 'Review cannot be requested from pull request author.' })
    }
    const allowed = hub.opts.collaborators?.map((c) => c.toLowerCase())
    if (allowed && reviewers.some((r) => !allowed.includes(r.toLowerCase()))) {
      return validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${hub.fullName} repository.`,
      })
    }
    for (const r of reviewers) if (!pr.reviewers.includes(r)) pr.reviewers.push(r)
    hub.touch(pr)
    const tips = await hub.refresh()
    return { status: 201, body: pullRequestSimple(hub.site, pr, tips.get(pr.base) ?? pr.headSha) }
  })

/** Labels on an issue; here every issue is a pull request. Labels that do not exist yet are created, as GitHub does. */
const addLabels: Handler = (call) =>
  call.hub.exclusive(async (): Promise<ApiAnswer> => {
    const pr = pullOf(call, 'issue_number')
    if (!pr) return notFound()
    const b = call.body
    const raw: unknown[] = Array.isArray(b) ? b : Array.isArray(b?.labels) ? b.labels : []
    const names = raw.map((l) => (typeof l === 'string' ? l : (l as { name: string }).name))
    for (const n of names) if (!pr.labels.includes(n)) pr.labels.push(n)
    call.hub.touch(pr)
    return { status: 200, body: pr.labels.map((l) => label(call.hub.site, l)) }
  })

export const pullRoutes: Record<string, Handler> = {
  'pulls/list': list,
  'pulls/create': create,
  'pulls/get': get,
  'pulls/update': update,
  'pulls/merge': merge,
  'pulls/request-reviewers': requestReviewers,
  'issues/add-labels': addLabels,
}
