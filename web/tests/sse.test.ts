import { describe, expect, it } from 'vitest'
import { sseParser, type SSEEvent } from '../src/utils/sse'

const stream =
  ': stream open\n\nevent: run\ndata: {"run_id":"run_1"}\n\n: ping\n\nevent: content\ndata: {"text":"贵州茅台"}\n\n' +
  'event: content\r\ndata: {"text":"收盘 1431"}\r\n\r\nevent: done\ndata: {"status":"succeeded"}\n\n'

function parse(pieces: (string | Uint8Array)[]): SSEEvent[] {
  const out: SSEEvent[] = []
  const p = sseParser((e) => out.push(e))
  for (const x of pieces) p.feed(x)
  p.end()
  return out
}

const want: SSEEvent[] = [
  { event: 'run', data: '{"run_id":"run_1"}' },
  { event: 'content', data: '{"text":"贵州茅台"}' },
  { event: 'content', data: '{"text":"收盘 1431"}' },
  { event: 'done', data: '{"status":"succeeded"}' },
]

describe('sseParser', () => {
  it('reads events, skips comments, takes \\n and \\r\\n', () => {
    expect(parse([stream])).toEqual(want)
  })
  it('gives the same events whatever the chunking, also mid-character', () => {
    const bytes = new TextEncoder().encode(stream)
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const pieces: Uint8Array[] = []
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.slice(i, i + size))
      expect(parse(pieces), `chunks of ${size} bytes`).toEqual(want)
    }
  })
  it('joins multi-line data and drops an event the stream cut off', () => {
    expect(parse(['data: a\ndata: b\n\nevent: x\ndata: cut'])).toEqual([{ event: 'message', data: 'a\nb' }])
  })
})
