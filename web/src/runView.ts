// What the run panel shows of a run, built the same way from the live event stream and from a stored
// run: the status, the thinking, the answer (markdown), the tool steps with their arguments and
// timings, the tokens, the error and the Langfuse link.
import type { Run, RunEvents, RunStatus, Usage, Workflow, WorkflowVariable } from './api/types'

export interface ToolStep {
  id: string
  round: number
  name: string
  /** The arguments as the model sent them, pretty-printed when they are JSON. */
  args: string
  pending: boolean
  ok?: boolean
  error?: string
  ms?: number
  cached?: boolean
  size?: number
  truncated?: boolean
}

export interface RunView {
  runId: string
  status: RunStatus | 'starting'
  model: string
  thinking: string
  content: string
  steps: ToolStep[]
  usage: Usage | null
  traceUrl: string
  error: { code: string; message: string } | null
  latencyMs: number | null
  startedAt: string
}

export function emptyView(): RunView {
  return {
    runId: '',
    status: 'starting',
    model: '',
    thinking: '',
    content: '',
    steps: [],
    usage: null,
    traceUrl: '',
    error: null,
    latencyMs: null,
    startedAt: '',
  }
}

function prettyArgs(a: unknown): string {
  let v = a
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v)
    } catch {
      return v as string
    }
  }
  return JSON.stringify(v, null, 2)
}

/** Applies one event of the stream to v. */
export function applyEvent<K extends keyof RunEvents>(v: RunView, name: K, data: RunEvents[K]): void {
  switch (name) {
    case 'run': {
      const d = data as RunEvents['run']
      v.runId = d.run_id
      v.model = d.model
      v.traceUrl = d.trace_url ?? ''
      v.status = 'running'
      break
    }
    case 'thinking':
      v.thinking += (data as RunEvents['thinking']).text
      break
    case 'content':
      v.content += (data as RunEvents['content']).text
      break
    case 'tool_call': {
      const d = data as RunEvents['tool_call']
      v.steps.push({ id: d.id, round: d.round, name: d.name, args: prettyArgs(d.arguments), pending: true })
      break
    }
    case 'tool_result': {
      const d = data as RunEvents['tool_result']
      const s = v.steps.find((x) => x.id === d.id && x.round === d.round)
      if (s) {
        Object.assign(s, { pending: false, ok: d.ok, error: d.error, ms: d.ms, cached: d.cached, size: d.size, truncated: d.truncated })
      }
      break
    }
    case 'usage':
      v.usage = (data as RunEvents['usage']).total
      break
    case 'error': {
      const d = data as RunEvents['error']
      v.error = { code: d.code, message: d.message }
      v.status = d.status
      break
    }
    case 'done': {
      const r = data as Run
      v.status = r.status
      v.latencyMs = r.latency_ms
      v.usage = r.usage
      v.startedAt = r.started_at
      if (r.error) v.error = r.error
      for (const s of v.steps) s.pending = false
      break
    }
  }
}

/** The view of a stored run. */
export function viewOfRun(r: Run): RunView {
  const v = emptyView()
  v.runId = r.id
  v.status = r.status
  v.model = r.model
  v.content = r.output ?? ''
  v.usage = r.usage ?? null
  v.traceUrl = r.trace_url ?? ''
  v.error = r.error ?? null
  v.latencyMs = r.status === 'running' ? null : r.latency_ms
  v.startedAt = r.started_at
  for (const round of r.rounds ?? []) {
    if (round.thinking) v.thinking += round.thinking
    for (const c of round.tool_calls ?? []) {
      v.steps.push({
        id: c.id,
        round: round.index,
        name: c.name,
        args: prettyArgs(c.arguments),
        pending: false,
        ok: c.ok,
        error: c.error,
        ms: c.duration_ms,
        cached: c.cached,
        size: c.result_bytes,
        truncated: c.truncated,
      })
    }
  }
  return v
}

/** The form's first values: each variable's default, in the shape its input takes. */
export function initialValues(w: Pick<Workflow, 'variables'>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const v of w.variables ?? []) out[v.name] = initialValue(v)
  return out
}

function initialValue(v: WorkflowVariable): unknown {
  const d = v.default
  switch (v.type) {
    case 'number':
      return typeof d === 'number' ? d : d != null && d !== '' && !isNaN(Number(d)) ? Number(d) : undefined
    case 'stock_list':
      return Array.isArray(d) ? d.map(String) : typeof d === 'string' && d ? d.split(/[\s,，、;；]+/).filter(Boolean) : []
    default:
      return d == null ? '' : String(d)
  }
}

/** The variables a run is asked with: empty inputs are left out, so the server applies the defaults. */
export function requestValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue
    if (typeof v === 'string' && !v.trim()) continue
    if (Array.isArray(v) && !v.length) continue
    out[k] = typeof v === 'string' ? v.trim() : v
  }
  return out
}

/** "variables.stock_code" → "stock_code"; anything else → "". */
export function variableOfField(field: string): string {
  const m = /^variables\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(field)
  return m ? m[1] : ''
}
