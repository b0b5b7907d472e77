import { sshUrl } from '../config/forge-config.js'
import type { RepoConfig } from '../config/config.js'

/**
 * A link to a commit of the infra repo on its forge's web pages, derived from
 * the repo's URL: https://host/owner/repo for https and SSH remotes (the
 * credentials, the SSH user and port and `.git` left out). GitHub, GitLab,
 * Gitea, Forgejo and Azure DevOps serve `/commit/<sha>`; Bitbucket Cloud
 * `/commits/<sha>`. A local repository has no page: undefined.
 */
export function commitWebUrl(repo: Pick<RepoConfig, 'location' | 'kind'>): ((sha: string) => string) | undefined {
  let url: URL | undefined
  try {
    url = repo.kind === 'http' ? new URL(repo.location) : repo.kind === 'ssh' ? sshUrl(repo.location) : undefined
  } catch {
    url = undefined
  }
  if (!url) return undefined
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '')
  if (path === '') return undefined
  const scheme = url.protocol === 'http:' ? 'http:' : 'https:'
  const base = `${scheme}//${repo.kind === 'http' ? url.host : url.hostname}${path}`
  const commits = url.hostname.toLowerCase() === 'bitbucket.org' ? 'commits' : 'commit'
  return (sha) => `${base}/${commits}/${sha}`
}
