/** A deployment row as promotion reads it (the store's DeploymentRecord fits it). */
export interface FromRow {
  readonly image: string
  readonly to: string
  readonly commit: string
  readonly healthyAt?: string
  readonly failedAt?: string
}

export type FromDeployment =
  | { readonly found: FromRow }
  | { readonly state: 'waiting' | 'superseded'; readonly reason: string }

/**
 * Which deployment of the from-environment a promotion of `value` rests on:
 * its newest row for the image, when that is `value`. An older row with it
 * means the environment moved on before the build was promoted (superseded);
 * none means the build has not reached it yet (a pull request not merged).
 * `rows`: the from-environment's history, newest first.
 */
export function fromDeployment(rows: readonly FromRow[], image: string, value: string, from: string): FromDeployment {
  const mine = rows.filter((r) => r.image === image)
  const at = mine.findIndex((r) => r.to === value)
  if (at === 0) return { found: mine[0]! }
  if (at > 0) return { state: 'superseded', reason: `${from} moved on to ${mine[0]!.to} before ${value} was promoted` }
  return { state: 'waiting', reason: `${from} does not run ${value} yet` }
}
