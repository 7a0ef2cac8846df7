import type { FieldError } from '../api/client'

/**
 * Normalises an API field path to the form slot that shows it:
 *   "name" → "name", "variables.0.name" → "variables[0].name", "selected_tools[1]" → "selected_tools",
 *   "tags[2]" → "tags", "variables[3]" → "variables", "/variables/0/name" → "variables[0].name".
 */
export function normalizeField(field: string): string {
  let f = field.trim()
  if (f.startsWith('/')) f = f.slice(1).replace(/\//g, '.')
  f = f.replace(/^\$\.?/, '')
  f = f.replace(/\.(\d+)(?=\.|$)/g, '[$1]')
  const m = /^(selected_tools|tags)(\[\d+\])?/.exec(f)
  if (m) return m[1]
  if (/^variables\[\d+\]$/.test(f)) return 'variables'
  return f
}

export interface MappedErrors {
  byField: Record<string, string>
  unmatched: string[]
}

/** Groups messages by form slot; messages whose slot is not in `known` end up in `unmatched`. */
export function mapFieldErrors(details: FieldError[], known: (field: string) => boolean): MappedErrors {
  const byField: Record<string, string> = {}
  const unmatched: string[] = []
  for (const d of details) {
    const slot = normalizeField(d.field || '')
    if (slot && known(slot)) {
      byField[slot] = byField[slot] ? `${byField[slot]}；${d.message}` : d.message
    } else {
      unmatched.push(d.field ? `${d.field}: ${d.message}` : d.message)
    }
  }
  return { byField, unmatched }
}
