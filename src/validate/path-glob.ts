/**
 * Glob matching as Argo CD does it: the git directory generator's `path`
 * (Go's path.Match: `*` and `?` within one segment, `[...]` classes; `**`
 * across segments, as with its newer globbing) and an AppProject's
 * sourceRepos and destination namespaces (`*` anywhere).
 */
export function globRegExp(glob: string, crossSegments = false): RegExp {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*'
        i++
      } else out += crossSegments ? '.*' : '[^/]*'
    } else if (c === '?') out += crossSegments ? '.' : '[^/]'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) {
        out += '\\['
        continue
      }
      let body = glob.slice(i + 1, end)
      if (body.startsWith('^')) body = `!${body.slice(1)}`
      const negate = body.startsWith('!')
      const chars = (negate ? body.slice(1) : body).replace(/[\\\]^]/g, (x) => `\\${x}`)
      out += `[${negate ? '^' : ''}${chars}]`
      i = end
    } else out += c.replace(/[.+^${}()|\\/]/g, (x) => `\\${x}`)
  }
  return new RegExp(`^${out}$`, 's')
}

const cache = new Map<string, RegExp>()

/** Whether `value` matches `glob` (one pattern compiled once per process). */
export function globMatch(glob: string, value: string, crossSegments = false): boolean {
  const key = `${crossSegments ? 1 : 0}${glob}`
  let re = cache.get(key)
  if (!re) {
    try {
      re = globRegExp(glob, crossSegments)
    } catch {
      // A class the regex engine refuses matches nothing, as a bad pattern does in Go.
      re = /(?!)/
    }
    if (cache.size > 1000) cache.clear()
    cache.set(key, re)
  }
  return re.test(value)
}
