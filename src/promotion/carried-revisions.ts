import { revisionsOf, type ApplicationStatus } from './health-verdict.js'

/**
 * Which revisions an Application names (synced and last operated) carry the
 * deploying commit `base`, as the sync rule of healthVerdict reads them.
 * `fetch`: called once when the clone does not know a revision yet (Argo CD
 * may have synced a commit newer than the last fetch), then it is asked again.
 */
export async function carriedRevisions(status: ApplicationStatus, base: string, carries: (base: string, rev: string) => Promise<boolean | 'unknown'>, fetch?: () => Promise<void>): Promise<(rev: string) => boolean> {
  const carried = new Map<string, boolean>()
  for (const rev of new Set([...revisionsOf(status.sync), ...revisionsOf(status.operationState?.syncResult)])) {
    let c = await carries(base, rev)
    if (c === 'unknown' && fetch) {
      await fetch()
      c = await carries(base, rev)
    }
    carried.set(rev, c === true)
  }
  return (rev) => carried.get(rev) ?? false
}
