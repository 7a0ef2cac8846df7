import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../src/api/client'
import { detailTextIn, errorTextIn, variableDetailTextIn } from '../src/errors'
import { translate } from '../src/i18n'

const english = /[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,})+|\b[a-z]+_[a-z_]+\b|\bHTTP\b/

describe('error messages', () => {
  const codes = [
    'network_error', 'bad_request', 'invalid_code', 'invalid_date', 'not_found', 'no_data', 'method_not_allowed',
    'unauthorized', 'forbidden', 'request_too_large', 'validation_failed', 'read_only', 'limit_reached',
    'unsupported_media_type', 'store_unavailable',
    'internal_error', 'llm_not_configured', 'bad_response', 'too_many_runs', 'not_running', 'invalid_run',
    'invalid_description', 'invalid_draft', 'canceled', 'run_timeout', 'too_many_rounds', 'interrupted', 'llm_rate_limited',
    'llm_unavailable', 'llm_auth', 'llm_model_not_found', 'llm_tools_unsupported', 'llm_bad_request', 'llm_bad_stream',
    'llm_stream_broken',
  ]
  it('says every API error code in Chinese without the server’s English', () => {
    for (const code of codes) {
      const e = new ApiError(400, code, 'some English sentence from the server')
      const zh = errorTextIn('zh', e)
      const en = errorTextIn('en', e)
      expect(zh, code).not.toMatch(english)
      expect(zh, code).toMatch(/[\u4e00-\u9fa5]/)
      expect(en, code).not.toContain('from the server')
      expect(zh).not.toBe(en)
    }
  })
  it('falls back on the status for codes it does not know, and never shows "Failed to fetch"', () => {
    expect(errorTextIn('zh', new ApiError(404, 'http_404', 'HTTP 404 Not Found'))).toBe(translate('zh', 'err.not_found'))
    expect(errorTextIn('zh', new ApiError(502, 'http_502', 'HTTP 502'))).toBe(translate('zh', 'err.internal_error'))
    expect(errorTextIn('zh', new ApiError(409, 'conflict', 'x'))).toBe(translate('zh', 'err.read_only'))
    expect(errorTextIn('zh', new ApiError(0, 'network_error', 'Failed to fetch'))).toBe('无法连接服务器')
    expect(errorTextIn('zh', new TypeError('Failed to fetch'))).toBe(translate('zh', 'err.unknown'))
    expect(errorTextIn('zh', new ApiError(404, 'not_found', 'x'), { not_found: '没有这只股票' })).toBe('没有这只股票')
  })
  it('translates every message the workflow validator writes', () => {
    // The format strings of internal/workflow/validate.go, filled in the way the server fills them.
    const src = readFileSync(new URL('../../internal/workflow/validate.go', import.meta.url), 'utf8')
    const formats = [...src.matchAll(/ve\.add\([^,]+,\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\"/g, '"'))
    expect(formats.length).toBeGreaterThan(15)
    const samples = formats
      .filter((f) => f !== '%s') // checkDefault's messages, listed below
      .map((f) => f.replace(/%q/g, '"abc"').replace(/%d/g, '3').replace(/%s/g, 'string, number').replace(/%v/g, 'x'))
    samples.push('must be a number for a number variable', 'must be a string', 'must be a date string', 'must be a stock code string', 'must be an array of stock codes')
    // checkBounds (variables.go) on a variable's min and max.
    samples.push('min and max apply to number variables only, not string', 'must not be less than min (5)', 'must be at least 5, got 1', 'must be at most 500, got 1000')
    for (const m of samples) {
      const zh = detailTextIn('zh', m)
      expect(zh, m).not.toMatch(english)
      expect(zh, m).not.toBe('该项的值无效')
      expect(detailTextIn('en', m)).toBe(m)
    }
    expect(detailTextIn('zh', 'placeholder {{x}} is not a declared variable')).toBe('占位符 {{x}} 未声明为变量')
    expect(detailTextIn('zh', 'something new the server says')).toBe('该项的值无效')
  })
})

describe('run variable messages', () => {
  it('translates every message about a run’s variables', () => {
    // The messages of Resolve and its helpers (internal/workflow/variables.go), filled in.
    const src = readFileSync(new URL('../../internal/workflow/variables.go', import.meta.url), 'utf8')
    const body = src.slice(src.indexOf('func Resolve('), src.indexOf('// FormatValue'))
    const literals = [...body.matchAll(/"((?:[^"\\]|\\.)*)"/g)]
      .map((m) => m[1].replace(/\\"/g, '"'))
      .filter((x) => /^(must |is |invalid |unknown code|at most )/.test(x))
    expect(literals.length).toBeGreaterThan(10)
    const samples = literals.map((f) =>
      f.replace(/%q/g, '"abc"').replace(/%d/g, '3').replace(/%s/g, '600000.SH').replace(/%v/g, 'x'),
    )
    samples.push('has the wrong type: want an object, got string', 'unknown field')
    for (const m of samples) {
      const zh = variableDetailTextIn('zh', m)
      expect(zh, m).not.toMatch(english)
      expect(zh, m).not.toBe('该项的值无效')
      expect(variableDetailTextIn('en', m)).toBe(m)
    }
    expect(variableDetailTextIn('zh', 'unknown code 999999.SH: no stock or ETF with this code in the store')).toBe('没有代码为 999999.SH 的股票或 ETF')
    expect(variableDetailTextIn('zh', 'must be at most 500, got 1000')).toBe('不能大于 500（当前 1000）')
  })
})

describe('Chinese dictionary', () => {
  it('has no English sentence in any Chinese label but the product name', async () => {
    const { translate: tr } = await import('../src/i18n')
    const src = readFileSync(new URL('../src/i18n.ts', import.meta.url), 'utf8')
    const zhBlock = src.slice(src.indexOf('const zh = {'), src.indexOf('type Dict'))
    const keys = [...zhBlock.matchAll(/^\s*'([^']+)':/gm)].map((m) => m[1])
    expect(keys.length).toBeGreaterThan(200)
    for (const k of keys) {
      const v = tr('zh', k as never).replace('Stock Datasource', '')
      expect(v, k).not.toMatch(english)
    }
  })
})
