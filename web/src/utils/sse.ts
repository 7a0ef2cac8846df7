// A reader of text/event-stream as the run endpoint writes it: `event: <type>` and `data: <json>`
// lines, a blank line ending each event, `: ping` comments in between. Fed the stream in pieces of any
// size (a network chunk may end mid-line or mid-character), it calls back once per complete event.

export interface SSEEvent {
  event: string
  data: string
}

export function sseParser(onEvent: (e: SSEEvent) => void) {
  const decoder = new TextDecoder()
  let buf = ''
  let event = ''
  let data: string[] = []

  function line(l: string) {
    if (l === '') {
      if (data.length) onEvent({ event: event || 'message', data: data.join('\n') })
      event = ''
      data = []
      return
    }
    if (l.startsWith(':')) return // comment (heartbeat)
    const i = l.indexOf(':')
    const field = i < 0 ? l : l.slice(0, i)
    let value = i < 0 ? '' : l.slice(i + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }

  function feedText(text: string) {
    buf += text
    let nl: number
    while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
      const sep = buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1
      // A lone \r at the end may be the first half of \r\n: wait for the next piece.
      if (buf[nl] === '\r' && nl + 1 === buf.length) break
      line(buf.slice(0, nl))
      buf = buf.slice(nl + sep)
    }
  }

  return {
    /** Feeds bytes (decoded across piece boundaries) or text. */
    feed(chunk: Uint8Array | string) {
      feedText(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
    },
    /** The stream ended: an event without its closing blank line is dropped, as the standard says. */
    end() {
      feedText(decoder.decode())
    },
  }
}

/** Reads a fetch Response's body as server-sent events until it ends or the signal aborts. */
export async function readEvents(res: Response, onEvent: (e: SSEEvent) => void): Promise<void> {
  if (!res.body) return
  const parser = sseParser(onEvent)
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parser.feed(value)
  }
  parser.end()
}
