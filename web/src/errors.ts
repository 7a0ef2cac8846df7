import { ApiError } from './api/client'
import { lang, translate, type MessageKey } from './i18n'
import type { Lang } from './utils/format'

// What the user reads when something fails: the API's error code mapped to a sentence of the UI's
// language. The server's own message is English and meant for developers; it is never shown in the
// Chinese UI.

const CODES = [
  'network_error',
  'bad_request',
  'invalid_code',
  'invalid_date',
  'not_found',
  'no_data',
  'method_not_allowed',
  'unauthorized',
  'forbidden',
  'request_too_large',
  'validation_failed',
  'read_only',
  'limit_reached',
  'unsupported_media_type',
  'store_unavailable',
  'internal_error',
  'llm_not_configured',
  'bad_response',
  // Runs of workflows and drafting them (internal/agent, internal/runs).
  'too_many_runs',
  'not_running',
  'invalid_run',
  'invalid_description',
  'invalid_draft',
  'canceled',
  'run_timeout',
  'too_many_rounds',
  'interrupted',
  'llm_rate_limited',
  'llm_unavailable',
  'llm_auth',
  'llm_model_not_found',
  'llm_tools_unsupported',
  'llm_bad_request',
  'llm_bad_stream',
  'llm_stream_broken',
] as const
export type ErrorCode = (typeof CODES)[number]

export function isKnownCode(code: string): code is ErrorCode {
  return (CODES as readonly string[]).includes(code)
}

/** The error's code: the API's, network_error when the server was not reached, else unknown. */
export function errorCode(e: unknown): string {
  return e instanceof ApiError ? e.code : 'unknown'
}

/**
 * A sentence for the error in the given language. `overrides` lets a view say it better for one code
 * (e.g. not_found on the stock page: "no stock or ETF with code X").
 */
export function errorTextIn(l: Lang, e: unknown, overrides: Partial<Record<string, string>> = {}): string {
  const code = errorCode(e)
  if (overrides[code]) return overrides[code]!
  if (isKnownCode(code)) return translate(l, `err.${code}` as MessageKey)
  if (e instanceof ApiError) {
    if (e.status === 404) return translate(l, 'err.not_found')
    if (e.status === 401) return translate(l, 'err.unauthorized')
    if (e.status === 403) return translate(l, 'err.forbidden')
    if (e.status === 409) return translate(l, 'err.read_only')
    if (e.status === 413) return translate(l, 'err.request_too_large')
    if (e.status === 415) return translate(l, 'err.unsupported_media_type')
    if (e.status === 422) return translate(l, 'err.validation_failed')
    if (e.status === 503) return translate(l, 'err.store_unavailable')
    if (e.status >= 500) return translate(l, 'err.internal_error')
    if (e.status >= 400) return translate(l, 'err.bad_request')
  }
  return translate(l, 'err.unknown')
}

export function errorText(e: unknown, overrides: Partial<Record<string, string>> = {}): string {
  return errorTextIn(lang.value, e, overrides)
}

interface DetailRule {
  re: RegExp
  zh: (m: RegExpExecArray) => string
}

// The workflow validator's messages (internal/workflow/validate.go), in Chinese. A message no rule
// knows becomes a generic sentence: better vague than English.
const DETAIL_RULES: DetailRule[] = [
  { re: /^is required$/, zh: () => '必填' },
  { re: /^must be at most (\d+) characters, got (\d+)$/, zh: (m) => `最多 ${m[1]} 个字符（当前 ${m[2]} 个）` },
  { re: /^must be at most (\d+) characters$/, zh: (m) => `最多 ${m[1]} 个字符` },
  { re: /^must be 1 to (\d+) characters$/, zh: (m) => `长度须为 1 到 ${m[1]} 个字符` },
  { re: /^at most (\d+) tags, got (\d+)$/, zh: (m) => `最多 ${m[1]} 个标签（当前 ${m[2]} 个）` },
  { re: /^at most (\d+) variables, got (\d+)$/, zh: (m) => `最多 ${m[1]} 个变量（当前 ${m[2]} 个）` },
  { re: /^at most (\d+) tools, got (\d+)$/, zh: (m) => `最多 ${m[1]} 个工具（当前 ${m[2]} 个）` },
  { re: /^"(.*)" must match /, zh: (m) => `变量名「${m[1]}」只能包含字母、数字和下划线，且不能以数字开头` },
  { re: /^duplicate variable name "(.*)"$/, zh: (m) => `变量名「${m[1]}」重复` },
  { re: /^unknown type "(.*)"/, zh: (m) => `未知的变量类型「${m[1]}」` },
  { re: /^unknown tool "(.*)"/, zh: (m) => `未知的工具「${m[1]}」` },
  { re: /^tool "(.*)" selected twice$/, zh: (m) => `工具「${m[1]}」被重复选择` },
  { re: /^placeholder \{\{(.*)\}\} is not a valid variable name$/, zh: (m) => `占位符 {{${m[1]}}} 不是合法的变量名` },
  { re: /^placeholder \{\{(.*)\}\} is not a declared variable$/, zh: (m) => `占位符 {{${m[1]}}} 未声明为变量` },
  { re: /^must be a number/, zh: () => '默认值必须是数字' },
  { re: /^must be a string$/, zh: () => '默认值必须是文本' },
  { re: /^must be a date string$/, zh: () => '默认值必须是日期，如 2025-12-18' },
  { re: /^must be a stock code string$/, zh: () => '默认值必须是股票代码，如 600519.SH' },
  { re: /^must be an array of stock codes$/, zh: () => '默认值必须是股票代码列表' },
  { re: /^unknown field$/, zh: () => '不支持的字段' },
  { re: /^min and max apply to number variables only/, zh: () => '只有数字变量可以设置最小值和最大值' },
  { re: /^must not be less than min \((\S+)\)$/, zh: (m) => `最大值不能小于最小值（${m[1]}）` },
  { re: /^must be at least (\S+), got (\S+)$/, zh: (m) => `不能小于 ${m[1]}（当前 ${m[2]}）` },
  { re: /^must be at most (\S+), got (\S+)$/, zh: (m) => `不能大于 ${m[1]}（当前 ${m[2]}）` },
  { re: /^must be a finite number$/, zh: () => '必须是有限的数字' },
  // Drafts the model wrote (internal/agent/generate.go).
  { re: /^trailing data/, zh: () => '提交的内容末尾有多余的数据' },
  { re: /^must be .+, not /, zh: () => '类型不正确' },
  { re: /^not a JSON object/, zh: () => '提交的内容不是合法的 JSON 对象' },
  { re: /^the workflow is (\d+) bytes as JSON, at most (\d+)$/, zh: (m) => `工作流过大：${Math.ceil(Number(m[1]) / 1024)} KB，最多 ${Number(m[2]) / 1024} KB` },
  { re: /^cannot be stored/, zh: () => '工作流无法保存' },
  // checkDefault passes on market.ParseDate / ParseCode errors as they are.
  { re: /date/i, zh: () => '日期格式不正确，应为 YYYY-MM-DD' },
  { re: /code/i, zh: () => '股票代码格式不正确，如 600519 或 600519.SH' },
]

/** One field error of a 422 answer in the UI's language. */
export function detailTextIn(l: Lang, message: string): string {
  if (l === 'en') return message
  for (const r of DETAIL_RULES) {
    const m = r.re.exec(message)
    if (m) return r.zh(m)
  }
  return '该项的值无效'
}

export function detailText(message: string): string {
  return detailTextIn(lang.value, message)
}

// The messages about a run's variables (internal/workflow/variables.go: Resolve), in Chinese.
const VARIABLE_RULES: DetailRule[] = [
  { re: /^is required \(/, zh: () => '必填' },
  { re: /^is not a variable of this workflow/, zh: () => '该工作流没有这个变量' },
  { re: /^unknown code (\S+): /, zh: (m) => `没有代码为 ${m[1]} 的股票或 ETF` },
  { re: /^invalid code /, zh: () => '股票代码格式不正确，如 600519 或 600519.SH' },
  { re: /^invalid date /, zh: () => '日期格式不正确，应为 YYYY-MM-DD' },
  { re: /^must be at least (\S+), got (\S+)$/, zh: (m) => `不能小于 ${m[1]}（当前 ${m[2]}）` },
  { re: /^must be at most (\S+), got (\S+)$/, zh: (m) => `不能大于 ${m[1]}（当前 ${m[2]}）` },
  { re: /^must be at most (\d+) characters, got (\d+)$/, zh: (m) => `最多 ${m[1]} 个字符（当前 ${m[2]} 个）` },
  { re: /^must be a finite number$/, zh: () => '必须是有限的数字' },
  { re: /^must be a number/, zh: () => '必须是数字' },
  { re: /^must be a string$/, zh: () => '必须是文本' },
  { re: /^must be a date string/, zh: () => '必须是日期，如 2025-12-18' },
  { re: /^must be a stock code string/, zh: () => '必须是股票代码，如 600519.SH' },
  { re: /^at most (\d+) codes, got (\d+)$/, zh: (m) => `最多 ${m[1]} 个代码（当前 ${m[2]} 个）` },
  { re: /^must be an array of stock codes/, zh: () => '必须是股票代码列表' },
  { re: /^has the wrong type/, zh: () => '类型不正确' },
  { re: /^unknown field$/, zh: () => '不支持的字段' },
]

/** A message about one of a run's variables in the UI's language. */
export function variableDetailTextIn(l: Lang, message: string): string {
  if (l === 'en') return message
  for (const r of VARIABLE_RULES) {
    const m = r.re.exec(message)
    if (m) return r.zh(m)
  }
  return '该项的值无效'
}

export function variableDetailText(message: string): string {
  return variableDetailTextIn(lang.value, message)
}
