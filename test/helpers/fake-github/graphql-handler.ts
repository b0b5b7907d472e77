import { buildClientSchema, execute, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type IntrospectionQuery, type OperationDefinitionNode } from 'graphql'
import { isoSeconds } from './objects.js'
import type { PullRecord } from './pull-objects.js'
import type { Hub } from './hub.js'

/**
 * POST /graphql: every document is validated against GitHub's published schema (@octokit/graphql-schema);
 * the fake answers the few fields infra-sync uses (enablePullRequestAutoMerge, repository.pullRequest, node)
 * by executing the document with resolvers, so any valid selection of them gets the right shape.
 */
let schemaLoad: Promise<GraphQLSchema> | undefined
function githubSchema(): Promise<GraphQLSchema> {
  return (schemaLoad ??= import('@octokit/graphql-schema').then(({ schema }) => {
    const json = schema.json as { data?: IntrospectionQuery } & IntrospectionQuery
    return buildClientSchema(json.data ?? json)
  }))
}

const SUPPORTED = new Set(['enablePullRequestAutoMerge', 'repository', 'node', '__typename'])

/** An error as GitHub's GraphQL API words it: a `type` beside the message. */
class GitHubError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message)
  }
}

interface GraphQLAnswer {
  status: number
  body: { data?: unknown; errors?: unknown[] }
}

const MERGE_STATE = { clean: 'CLEAN', blocked: 'BLOCKED', dirty: 'DIRTY', unknown: 'UNKNOWN' } as const

async function pullNode(hub: Hub, pr: PullRecord): Promise<Record<string, unknown>> {
  const tips = await hub.refresh()
  const state = await hub.mergeable(pr, tips)
  const actor = (login: string) => ({ __typename: login.endsWith('[bot]') ? 'Bot' : 'User', login, url: `${hub.site.web}/${login}` })
  const node: Record<string, unknown> = {
    __typename: 'PullRequest',
    id: pr.nodeId,
    databaseId: pr.id,
    number: pr.number,
    title: pr.title,
    body: pr.body,
    url: `${hub.site.web}/${hub.fullName}/pull/${pr.number}`,
    permalink: `${hub.site.web}/${hub.fullName}/pull/${pr.number}`,
    resourcePath: `/${hub.fullName}/pull/${pr.number}`,
    state: pr.merged ? 'MERGED' : pr.state === 'open' ? 'OPEN' : 'CLOSED',
    merged: pr.merged,
    closed: pr.state === 'closed',
    isDraft: false,
    locked: false,
    createdAt: pr.createdAt,
    updatedAt: pr.updatedAt,
    mergedAt: pr.mergedAt ?? null,
    closedAt: pr.closedAt ?? null,
    headRefName: pr.head,
    baseRefName: pr.base,
    headRefOid: pr.headSha,
    baseRefOid: tips.get(pr.base) ?? null,
    mergeable: state === 'dirty' ? 'CONFLICTING' : state === 'unknown' ? 'UNKNOWN' : 'MERGEABLE',
    mergeStateStatus: MERGE_STATE[state],
    author: actor(pr.author),
    mergedBy: pr.mergedBy ? actor(pr.mergedBy) : null,
    mergeCommit: pr.mergeCommit ? { __typename: 'Commit', oid: pr.mergeCommit, abbreviatedOid: pr.mergeCommit.slice(0, 7) } : null,
  }
  node.autoMergeRequest = pr.autoMerge
    ? { enabledAt: isoSeconds(Date.parse(pr.updatedAt)), enabledBy: actor(pr.autoMerge.enabledBy), mergeMethod: pr.autoMerge.method, authorEmail: null, commitBody: null, commitHeadline: null, pullRequest: node }
    : null
  return node
}

function rootValue(hub: Hub, login: string): Record<string, unknown> {
  return {
    enablePullRequestAutoMerge: ({ input }: { input: { pullRequestId: string; mergeMethod?: 'MERGE' | 'SQUASH' | 'REBASE'; clientMutationId?: string } }) =>
      hub.exclusive(async () => {
        const pr = hub.byNodeId(input.pullRequestId)
        if (!pr) throw new GitHubError('NOT_FOUND', `Could not resolve to a node with the global id of '${input.pullRequestId}'`)
        if (pr.state !== 'open') throw new GitHubError('UNPROCESSABLE', 'Pull request is closed')
        const state = await hub.mergeable(pr, await hub.refresh())
        // GitHub's own wording, the pull request repeated.
        if (state === 'clean') throw new GitHubError('UNPROCESSABLE', 'Pull request Pull request is in clean status')
        pr.autoMerge = { method: input.mergeMethod ?? 'MERGE', enabledBy: login, enabledAt: isoSeconds(Date.now()) }
        hub.touch(pr)
        return {
          clientMutationId: input.clientMutationId ?? null,
          actor: { __typename: login.endsWith('[bot]') ? 'Bot' : 'User', login },
          pullRequest: await pullNode(hub, pr),
        }
      }),
    repository: ({ owner, name }: { owner: string; name: string }) => {
      if (`${owner}/${name}`.toLowerCase() !== hub.fullName.toLowerCase()) {
        throw new GitHubError('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`)
      }
      return {
        __typename: 'Repository',
        id: `R_${hub.fullName}`,
        nameWithOwner: hub.fullName,
        pullRequest: ({ number }: { number: number }) => {
          const pr = hub.pulls.get(number)
          if (!pr) throw new GitHubError('NOT_FOUND', `Could not resolve to a PullRequest with the number of ${number}.`)
          return pullNode(hub, pr)
        },
      }
    },
    node: ({ id }: { id: string }) => {
      const pr = hub.byNodeId(id)
      if (!pr) throw new GitHubError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'`)
      return pullNode(hub, pr)
    },
  }
}

function locations(e: GraphQLError) {
  return e.locations?.map((l) => ({ line: l.line, column: l.column }))
}

/** Answers one GraphQL request; schema violations go to `hub.violations`. */
export async function handleGraphQL(hub: Hub, body: unknown, login: string): Promise<GraphQLAnswer> {
  const req = (body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown }
  if (typeof req.query !== 'string') {
    hub.violations.push('graphql: the request has no query string')
    return { status: 400, body: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] } }
  }
  const schema = await githubSchema()
  let document: DocumentNode
  try {
    document = parse(req.query)
  } catch (err) {
    const e = err as GraphQLError
    hub.violations.push(`graphql: ${e.message}`)
    return { status: 200, body: { errors: [{ message: e.message, locations: locations(e) }] } }
  }
  const invalid = validate(schema, document)
  if (invalid.length) {
    hub.violations.push(...invalid.map((e) => `graphql: ${e.message}`))
    return { status: 200, body: { errors: invalid.map((e) => ({ path: ['query'], extensions: { code: 'validationError' }, locations: locations(e), message: e.message })) } }
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')
  const op = typeof req.operationName === 'string' ? operations.find((o) => o.name?.value === req.operationName) : operations[0]
  const unsupported = op?.selectionSet.selections.filter((s) => s.kind !== 'Field' || !SUPPORTED.has(s.name.value)) ?? []
  if (unsupported.length) {
    const names = unsupported.map((s) => (s.kind === 'Field' ? s.name.value : s.kind)).join(', ')
    return { status: 200, body: { errors: [{ type: 'FAKE_UNSUPPORTED', message: `The fake GitHub does not answer ${names}` }] } }
  }
  const result = await execute({
    schema,
    document,
    rootValue: rootValue(hub, login),
    variableValues: (req.variables ?? {}) as Record<string, unknown>,
    operationName: typeof req.operationName === 'string' ? req.operationName : undefined,
  })
  const errors = (result.errors ?? []).map((e) => {
    const original = e.originalError
    if (original instanceof GitHubError) return { type: original.type, path: e.path, locations: locations(e), message: original.message }
    // Variables that do not fit their types fail before any field runs: a request GitHub would refuse.
    if (!e.path) hub.violations.push(`graphql: ${e.message}`)
    return { path: e.path, locations: locations(e), message: e.message }
  })
  return { status: 200, body: { ...(result.data !== undefined && { data: result.data }), ...(errors.length && { errors }) } }
}
