/**
 * The values Argo CD's git directory generator gives a template for one
 * folder, and the few template forms the infra-template uses, rendered the
 * way Argo CD renders them: `{{ .path.basename }}`, `{{ index .path.segments 1 }}`,
 * `{{ .path.path }}` (goTemplate) and `{{path.basename}}`, `{{path[1]}}`
 * (the older fasttemplate). Anything else (functions, pipelines, other
 * generators' parameters) is not guessed at: the result is null and the
 * rules that need it are skipped.
 */
export function renderPathTemplate(template: string, folder: string, goTemplate: boolean): string | null {
  const segments = folder.split('/')
  const basename = segments[segments.length - 1] ?? ''
  const values: Record<string, string> = {
    path: folder,
    basename,
    basenameNormalized: normalizeName(basename),
  }
  let failed = false
  const out = template.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_, expr: string) => {
    const v = goTemplate ? goValue(expr, values, segments) : fastValue(expr, values, segments)
    if (v === null) failed = true
    return v ?? ''
  })
  return failed ? null : out
}

function goValue(expr: string, values: Record<string, string>, segments: readonly string[]): string | null {
  const index = /^index\s+\.path\.segments\s+(\d+)$/.exec(expr)
  if (index) return segments[Number(index[1])] ?? null
  const field = /^\.path\.(path|basename|basenameNormalized)$/.exec(expr)
  return field ? values[field[1]!]! : null
}

function fastValue(expr: string, values: Record<string, string>, segments: readonly string[]): string | null {
  if (expr === 'path') return values.path!
  const index = /^path\[(\d+)\]$/.exec(expr)
  if (index) return segments[Number(index[1])] ?? null
  const field = /^path\.(basename|basenameNormalized)$/.exec(expr)
  return field ? values[field[1]!]! : null
}

/** Argo CD's SanitizeName: lower case, anything but [a-z0-9.-] to `-`, alphanumeric at both ends. */
function normalizeName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 253)
}

/** A Kubernetes DNS-1123 label: what an Application name and a namespace must be here. */
export const isDnsLabel = (s: string) => s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s)
