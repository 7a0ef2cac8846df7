// Pieces of the end-to-end test that are computed independently of the app: a CSV reader, the
// weekly/monthly aggregation of daily bars, and the detector of English in the Chinese UI.

/** Rows of a CSV with a header line, as objects keyed by column name (RFC 4180 quotes, no newlines in cells). */
export function parseCsv(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim())
  const header = parseLine(lines[0]).map((h) => h.trim().replace(/^\uFEFF/, ''))
  return lines.slice(1).map((l) => {
    const cells = parseLine(l)
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))
  })
}

function parseLine(line) {
  const out = []
  let cur = ''
  let q = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') q = false
      else cur += c
    } else if (c === '"') q = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

/** ISO 8601 week of a YYYY-MM-DD day as "YYYY-Www" (weeks start on Monday; week 1 holds January 4th). */
export function isoWeek(day) {
  const [y, m, d] = day.split('-').map(Number)
  const t = Date.UTC(y, m - 1, d)
  const dow = (new Date(t).getUTCDay() + 6) % 7 // Monday 0 … Sunday 6
  const thursday = t + (3 - dow) * 86400000 // the week's Thursday decides its year
  const year = new Date(thursday).getUTCFullYear()
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / 86400000 / 7)
  return `${year}-W${String(week).padStart(2, '0')}`
}

/**
 * Daily bars (ascending) → weekly (ISO weeks) or monthly (calendar months) candles, each dated by its
 * last trading day: first open, max high, min low, last close, summed vol and amount; pre_close is the
 * previous candle's close (the first one keeps its first day's pre_close).
 */
export function aggregate(bars, period) {
  const key = period === 'week' ? (b) => isoWeek(b.date) : (b) => b.date.slice(0, 7)
  const out = []
  let cur = null
  let curKey = ''
  for (const b of bars) {
    const k = key(b)
    if (!cur || k !== curKey) {
      cur = {
        date: b.date,
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        pre_close: out.length ? out[out.length - 1].close : b.pre_close,
        vol: 0,
        amount: 0,
      }
      out.push(cur)
      curKey = k
    }
    cur.date = b.date
    cur.high = Math.max(cur.high, b.high)
    cur.low = Math.min(cur.low, b.low)
    cur.close = b.close
    cur.vol += b.vol ?? 0
    cur.amount += b.amount ?? 0
  }
  return out
}

/**
 * Runs in the page: English found in what a user of the Chinese UI reads — the visible text, the title,
 * input placeholders and aria labels. English here means two or more Latin words in a row ("Failed to
 * fetch", "no ETF data"), an identifier with underscores (latency_ms, no_data), an HTTP status line, or an
 * exchange's Latin abbreviation. Allowed: the product name, single words that are names (ETF, Redis,
 * SQLite, ClickHouse, MA20, English on the language switch) and {{placeholders}} in workflow prompts.
 */
export function englishIn() {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
  const texts = [document.body.innerText, document.title]
  const attrs = []
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) if (visible(el)) attrs.push(el.placeholder)
  for (const el of document.querySelectorAll('[aria-label]')) if (visible(el)) attrs.push(el.getAttribute('aria-label'))
  for (const el of document.querySelectorAll('[title]')) if (visible(el)) attrs.push(el.getAttribute('title'))
  const clean = (s) => (s || '').replace(/\{\{[^}]*\}\}/g, ' ').replace(/Stock Datasource/g, ' ')
  const found = []
  const scan = (s, rules) => {
    for (const re of rules) {
      re.lastIndex = 0
      let m
      while ((m = re.exec(s))) found.push(m[0])
    }
  }
  const sentence = /[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,})+/g
  scan(clean(texts.join('\n')), [sentence, /\b[a-z]+_[a-z_]+\b/g, /\bHTTP\b/g, /\b(?:SSE|SZSE|BSE)\b/g, /Failed to fetch/g])
  scan(clean(attrs.join('\n')), [sentence, /\bHTTP\b/g])
  return found
}
