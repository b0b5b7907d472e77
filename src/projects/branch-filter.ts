/**
 * `branches:` entries: a branch name or glob (`main`, `release/*`) matches
 * refs/heads/…; an entry starting with `refs/` matches a full ref
 * (`refs/tags/v*`). `*` stays within one path segment, `**` crosses them.
 */
function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*'
        i++
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

export function refMatches(ref: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globToRegExp(p.startsWith('refs/') ? p : `refs/heads/${p}`).test(ref))
}
