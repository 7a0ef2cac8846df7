import { describe, expect, it } from 'vitest'
import { applyEvent, emptyView, initialValues, requestValues, variableOfField, viewOfRun } from '../src/runView'
import type { Run } from '../src/api/types'

const usage = { input_tokens: 2470, output_tokens: 127, total_tokens: 2597 }

describe('run view', () => {
  it('follows a run event by event', () => {
    const v = emptyView()
    applyEvent(v, 'run', { run_id: 'run_1', workflow_id: 'tpl', model: 'deepseek-chat', trace_id: 't', trace_url: 'http://lf/trace/t' })
    expect(v.status).toBe('running')
    applyEvent(v, 'thinking', { round: 1, text: '先查' })
    applyEvent(v, 'tool_call', { round: 1, id: 'c1', name: 'get_stock_basic', arguments: '{"code":"600519.SH"}' })
    expect(v.steps[0]).toMatchObject({ name: 'get_stock_basic', pending: true, args: '{\n  "code": "600519.SH"\n}' })
    applyEvent(v, 'tool_result', { round: 1, id: 'c1', name: 'get_stock_basic', ok: true, ms: 0.4, cached: true, size: 868 })
    expect(v.steps[0]).toMatchObject({ pending: false, ok: true, cached: true, size: 868 })
    applyEvent(v, 'content', { round: 2, text: '收盘 ' })
    applyEvent(v, 'content', { round: 2, text: '1431' })
    applyEvent(v, 'usage', { round: 2, usage, total: usage })
    applyEvent(v, 'done', { id: 'run_1', status: 'succeeded', latency_ms: 1234, usage, started_at: 's' } as Run)
    expect(v).toMatchObject({ runId: 'run_1', status: 'succeeded', thinking: '先查', content: '收盘 1431', traceUrl: 'http://lf/trace/t', latencyMs: 1234 })
    expect(v.usage?.input_tokens).toBe(2470)
  })
  it('ends canceled with the error event', () => {
    const v = emptyView()
    applyEvent(v, 'tool_call', { round: 1, id: 'c1', name: 'x', arguments: 'not json' })
    applyEvent(v, 'error', { status: 'canceled', code: 'canceled', message: 'the run was canceled' })
    applyEvent(v, 'done', { id: 'r', status: 'canceled', latency_ms: 5, usage, started_at: 's' } as Run)
    expect(v.status).toBe('canceled')
    expect(v.error?.code).toBe('canceled')
    expect(v.steps[0]).toMatchObject({ args: 'not json', pending: false })
  })
  it('shows a stored run the way it streamed', () => {
    const r = {
      id: 'run_1', workflow_id: 'w', variables: {}, status: 'failed', model: 'm', output: '部分', usage, started_at: 's', latency_ms: 9,
      error: { code: 'llm_unavailable', message: 'x' }, trace_url: 'http://lf/trace/1',
      rounds: [{ index: 1, first_token_ms: 1, latency_ms: 2, usage, thinking: '想', tool_calls: [
        { id: 'c', name: 'get_market_stats', arguments: {}, ok: false, error: 'no data', cached: false, result_bytes: 0, duration_ms: 1.5 },
      ] }],
    } as Run
    const v = viewOfRun(r)
    expect(v).toMatchObject({ status: 'failed', content: '部分', thinking: '想', traceUrl: 'http://lf/trace/1', error: { code: 'llm_unavailable' } })
    expect(v.steps[0]).toMatchObject({ name: 'get_market_stats', ok: false, error: 'no data', ms: 1.5, args: '{}' })
  })
  it('fills the form with defaults and asks with what is filled in', () => {
    const values = initialValues({
      variables: [
        { name: 'code', label: '', type: 'stock_code', required: true, default: '600519.SH' },
        { name: 'days', label: '', type: 'number', required: false, default: 60 },
        { name: 'list', label: '', type: 'stock_list', required: false, default: ['600519.SH', '000858.SZ'] },
        { name: 'end', label: '', type: 'date', required: false },
        { name: 'n', label: '', type: 'number', required: false },
      ],
    })
    expect(values).toEqual({ code: '600519.SH', days: 60, list: ['600519.SH', '000858.SZ'], end: '', n: undefined })
    expect(requestValues({ ...values, code: ' 600519 ', list: [] })).toEqual({ code: '600519', days: 60 })
    expect(variableOfField('variables.stock_code')).toBe('stock_code')
    expect(variableOfField('stream')).toBe('')
  })
})
