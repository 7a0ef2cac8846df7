// Markdown of a model's answer to HTML that is safe by construction: every character of the input is
// HTML-escaped before any markup is added, and the only markup is what this file writes (headings,
// paragraphs, lists, tables, quotes, code, emphasis, and links whose address is http(s) or mailto).
// Model output can therefore never inject an element, an attribute or a script, whatever it contains —
// which is why the UI needs no HTML sanitizer library. It is small on purpose: the subset models use in
// reports, rendered again on every streamed piece (an unclosed code fence or table is fine mid-stream).

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c])
}

/** Addresses a link may point to; anything else (javascript:, data:, relative) stays plain text. */
const SAFE_URL = /^(https?:\/\/|mailto:)[^\s]+$/i

// Inline markup on already escaped text. Code spans are cut out first so nothing inside them changes.
function inline(escaped: string): string {
  const codes: string[] = []
  let s = escaped.replace(/`([^`]+)`/g, (_, c: string) => {
    codes.push(`<code>${c}</code>`)
    return `\u0000${codes.length - 1}\u0000`
  })
  // [text](url): the url was escaped with the rest, so it is compared (and written back) escaped.
  s = s.replace(/\[([^\]]+)\]\(([^()\s]+)\)/g, (_m, text: string, url: string) => {
    const raw = url.replace(/&amp;/g, '&')
    if (!SAFE_URL.test(raw)) return text
    return `<a href="${url}" target="_blank" rel="noopener noreferrer nofollow">${text}</a>`
  })
  s = s
    .replace(/\*\*([^*]+?)\*\*/g, '<strong>$1</strong>')
    .replace(/__([^_]+?)__/g, '<strong>$1</strong>')
    .replace(/~~([^~]+?)~~/g, '<del>$1</del>')
    .replace(/(^|[^*])\*([^*\s][^*]*?)\*(?!\*)/g, '$1<em>$2</em>')
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)])
}

function tableCells(line: string): string[] {
  let l = line.trim()
  if (l.startsWith('|')) l = l.slice(1)
  if (l.endsWith('|')) l = l.slice(0, -1)
  return l.split('|').map((c) => c.trim())
}

const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/

function alignOf(rule: string): string {
  const r = rule.trim()
  if (r.startsWith(':') && r.endsWith(':')) return 'center'
  if (r.endsWith(':')) return 'right'
  return ''
}

/** Renders markdown to safe HTML (see the file's comment). */
export function renderMarkdown(src: string): string {
  const lines = escapeHtml(src.replace(/\u0000/g, '').replace(/\r\n?/g, '\n')).split('\n')
  const out: string[] = []
  let para: string[] = []
  let list: { tag: 'ul' | 'ol'; items: string[] } | null = null
  let quote: string[] = []

  const flushPara = () => {
    if (para.length) out.push(`<p>${para.map(inline).join('<br>')}</p>`)
    para = []
  }
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`)
    list = null
  }
  const flushQuote = () => {
    if (quote.length) out.push(`<blockquote>${quote.map(inline).join('<br>')}</blockquote>`)
    quote = []
  }
  const flushAll = () => {
    flushPara()
    flushList()
    flushQuote()
  }

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const fence = /^\s*(```|~~~)/.exec(line)
    if (fence) {
      flushAll()
      const code: string[] = []
      for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence[1]); i++) code.push(lines[i])
      out.push(`<pre><code>${code.join('\n')}</code></pre>`)
      continue
    }
    if (!line.trim()) {
      flushAll()
      continue
    }
    const h = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
    if (h) {
      flushAll()
      const level = Math.min(6, h[1].length + 2) // the answer sits inside a page: # is a section, not the title
      out.push(`<h${level}>${inline(h[2])}</h${level}>`)
      continue
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flushAll()
      out.push('<hr>')
      continue
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      flushAll()
      const head = tableCells(line)
      const aligns = tableCells(lines[i + 1]).map(alignOf)
      const cell = (tag: string, c: string, k: number) =>
        aligns[k] ? `<${tag} align="${aligns[k]}">${inline(c)}</${tag}>` : `<${tag}>${inline(c)}</${tag}>`
      const rows: string[] = []
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim(); i++) {
        const cells = tableCells(lines[i])
        rows.push(`<tr>${head.map((_, k) => cell('td', cells[k] ?? '', k)).join('')}</tr>`)
      }
      i--
      out.push(
        `<table><thead><tr>${head.map((c, k) => cell('th', c, k)).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`,
      )
      continue
    }
    const q = /^\s{0,3}&gt;\s?(.*)$/.exec(line)
    if (q) {
      flushPara()
      flushList()
      quote.push(q[1])
      continue
    }
    const ul = /^\s*[-*+]\s+(.*)$/.exec(line)
    const ol = /^\s*\d{1,9}[.)]\s+(.*)$/.exec(line)
    if (ul || ol) {
      flushPara()
      flushQuote()
      const tag = ul ? 'ul' : 'ol'
      if (list && list.tag !== tag) flushList()
      if (!list) list = { tag, items: [] }
      list.items.push((ul ?? ol)![1])
      continue
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // A continuation line of the last item.
      list.items[list.items.length - 1] += ' ' + line.trim()
      continue
    }
    flushList()
    flushQuote()
    para.push(line.trim())
  }
  flushAll()
  return out.join('\n')
}
