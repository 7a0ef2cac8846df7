import { describe, expect, it } from 'vitest'
import { mapFieldErrors, normalizeField } from '../src/utils/fieldErrors'

describe('field error mapping', () => {
  it('normalises API field paths to form slots', () => {
    expect(normalizeField('name')).toBe('name')
    expect(normalizeField('variables[0].name')).toBe('variables[0].name')
    expect(normalizeField('variables.2.type')).toBe('variables[2].type')
    expect(normalizeField('/variables/1/name')).toBe('variables[1].name')
    expect(normalizeField('selected_tools[1]')).toBe('selected_tools')
    expect(normalizeField('tags[0]')).toBe('tags')
    expect(normalizeField('variables[3]')).toBe('variables')
  })
  it('groups messages and keeps unknown fields apart', () => {
    const known = (f: string) => ['name', 'user_prompt_template', 'variables[1].name'].includes(f)
    const r = mapFieldErrors(
      [
        { field: 'name', message: 'too long' },
        { field: 'name', message: 'bad chars' },
        { field: 'variables[1].name', message: 'duplicate variable name "x"' },
        { field: 'user_prompt_template', message: 'placeholder {{y}} is not declared' },
        { field: 'mystery', message: 'odd' },
      ],
      known,
    )
    expect(r.byField.name).toBe('too long；bad chars')
    expect(r.byField['variables[1].name']).toContain('duplicate')
    expect(r.byField.user_prompt_template).toContain('{{y}}')
    expect(r.unmatched).toEqual(['mystery: odd'])
  })
})
