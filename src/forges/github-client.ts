import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { request as baseRequest } from '@octokit/request'
import { Octokit } from '@octokit/rest'
import Bottleneck from 'bottleneck'
import type { Logger } from '../core/logger.js'
import { VERSION } from '../core/version.js'
import { markRateLimited, redactTokens } from './github-errors.js'

export const GitHubOctokit = Octokit.plugin(throttling, retry)
export type GitHubOctokit = InstanceType<typeof GitHubOctokit>
export type GitHubRequest = typeof baseRequest

/** How octokit authenticates: a token, or a strategy (GitHub App installation tokens). */
export type OctokitAuth = { readonly auth: string } | { readonly authStrategy: (options: unknown) => unknown }

/** Waits the client keeps between calls; GitHub's guidance by default, shorter in tests. */
export interface GitHubPacing {
  /** Between two writes (POST, PATCH, PUT, GraphQL): GitHub asks for 1 s. */
  readonly writeMinMs: number
  /** Between two writes that notify people (open, merge, ask reviewers): octokit keeps 3 s. */
  readonly notificationMinMs: number
  /** A 5xx or a network failure is retried after n² × this. */
  readonly retryBaseMs: number
}

export interface GitHubClientOptions {
  /** https://api.github.com, or https://HOST/api/v3 (GHES). */
  readonly apiUrl: string
  readonly log: Logger
  readonly auth: OctokitAuth
  /** Absent: octokit's own pacing (shared by every client in the process). */
  readonly pacing?: Partial<GitHubPacing>
  /** Rate-limited answers retried per request before giving up (FORGE_UNAVAILABLE, retryable); default 10. */
  readonly rateLimitRetries?: number
  /** A rate limit that asks to wait longer than this is not waited out here: the worker retries later. Default 120. */
  readonly maxRateLimitWaitSeconds?: number
  /** Per HTTP request; default 30 s. */
  readonly timeoutMs?: number
}

export interface GitHubClient {
  readonly octokit: GitHubOctokit
  /** HTTP requests the code asked octokit for (retries of one are one). */
  readonly requests: number
}

export const USER_AGENT = `infra-sync/${VERSION}`

/** fetch with a deadline: octokit has none, and a hung GitHub must not hang the worker. */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init = {}) => {
    const deadline = AbortSignal.timeout(timeoutMs)
    return fetch(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, deadline]) : deadline })
  }
}

/** A bare request for calls made before octokit exists (minting installation tokens): same host, agent and deadline. */
export function githubRequest(apiUrl: string, timeoutMs = 30_000): GitHubRequest {
  return baseRequest.defaults({
    baseUrl: apiUrl.replace(/\/+$/, ''),
    headers: { 'user-agent': USER_AGENT },
    request: { fetch: fetchWithTimeout(timeoutMs) },
  })
}

function octokitLog(log: Logger) {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string) => log[level]({ component: 'github' }, redactTokens(String(message)))
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

let clients = 0

/**
 * Octokit with throttling (rate limits waited out per `retry-after` or the
 * reset, so a burst is queued, not dropped) and retry (5xx and network
 * failures; never a 4xx, whose answer would not change).
 */
export function createGitHubClient(opts: GitHubClientOptions): GitHubClient {
  const { log } = opts
  const rateLimitRetries = opts.rateLimitRetries ?? 10
  const maxWait = opts.maxRateLimitWaitSeconds ?? 120
  // Requests the throttle stopped waiting for: their error is a rate limit (mapped by this mark, not by GitHub's text).
  const givenUp = new WeakMap<object, number>()
  const onLimit = (kind: string) => (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
    const operation = `${options.method} ${options.url}`
    const retrying = retryCount < rateLimitRetries && retryAfter <= maxWait
    log.warn({ operation, retryAfterSeconds: retryAfter, retryCount, retrying }, `GitHub ${kind} rate limit`)
    if (!retrying) givenUp.set(options, retryAfter)
    return retrying
  }
  const id = `infra-sync-${++clients}`
  const pacing = opts.pacing
  const groups = pacing && {
    write: new Bottleneck.Group({ id: `${id}-write`, maxConcurrent: 1, minTime: pacing.writeMinMs ?? 1000 }),
    notifications: new Bottleneck.Group({ id: `${id}-notifications`, maxConcurrent: 1, minTime: pacing.notificationMinMs ?? 3000 }),
  }
  const octokit = new GitHubOctokit({
    ...opts.auth,
    baseUrl: opts.apiUrl.replace(/\/+$/, ''),
    userAgent: USER_AGENT,
    log: octokitLog(log),
    request: { fetch: fetchWithTimeout(opts.timeoutMs ?? 30_000) },
    throttle: {
      id,
      ...groups,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
    retry: {
      // Every 4xx: GitHub's answer would not change (429 and rate-limit 403s are the throttle's).
      doNotRetry: Array.from({ length: 100 }, (_, i) => 400 + i),
      retries: 3,
      ...(pacing?.retryBaseMs !== undefined && { retryAfterBaseValue: pacing.retryBaseMs }),
    },
  })
  let requests = 0
  octokit.hook.before('request', () => {
    requests += 1
  })
  // Registered after the plugins, so outside them: sees the error once the throttle has given up.
  octokit.hook.error('request', (error, options) => {
    const wait = givenUp.get(options)
    if (wait !== undefined) markRateLimited(error, wait)
    throw error
  })
  return {
    octokit,
    get requests() {
      return requests
    },
  }
}
