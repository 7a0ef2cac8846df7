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

// ---- the screener and the indicators, written out independently of the app and the server ----

/** Board of a ts_code: main, star, chinext, bse, or '' (funds, B shares). */
export function boardOf(code) {
  const [d, ex] = code.split('.')
  if ((ex === 'SH' && /^60[0135]/.test(d)) || (ex === 'SZ' && /^00[0-3]/.test(d))) return 'main'
  if (ex === 'SH' && /^68[89]/.test(d)) return 'star'
  if (ex === 'SZ' && /^30[0-2]/.test(d)) return 'chinext'
  if (ex === 'BJ' && (/^[48]/.test(d) || d.startsWith('920'))) return 'bse'
  return ''
}

/** Under risk warning by name: ST anywhere, or the S of shares before the split-share reform. */
export function isSTName(name) {
  return /ST/i.test(name) || /^S[\s\u0080-\uffff]/.test(name)
}

/**
 * The screener as a brute force over the snapshot's rows of one day ({ts_code, name, industry, ...numbers}):
 * every range inclusive, a missing value never passes; ST left out unless asked; sorted by `sortBy`
 * (missing values last either way, ties by ts_code).
 */
export function bruteScreen(rows, { ranges = {}, boards = [], industries = [], includeSt = false, sortBy = 'total_mv', asc = false }) {
  const hit = rows.filter((r) => {
    const b = boardOf(r.ts_code)
    if (!b || (!includeSt && isSTName(r.name))) return false
    if (boards.length && !boards.includes(b)) return false
    if (industries.length && !industries.includes(r.industry)) return false
    for (const [k, [min, max]] of Object.entries(ranges)) {
      const v = r[k]
      if (v === null || v === undefined || (min !== undefined && v < min) || (max !== undefined && v > max)) return false
    }
    return true
  })
  hit.sort((a, b) => {
    const x = a[sortBy]
    const y = b[sortBy]
    if (x == null && y == null) return a.ts_code < b.ts_code ? -1 : 1
    if (x == null) return 1
    if (y == null) return -1
    if (x !== y) return asc ? x - y : y - x
    return a.ts_code < b.ts_code ? -1 : 1
  })
  return hit
}

/** Exponential average seeded by the first value: y0 = x0, yi = a·xi + (1 − a)·yi−1. */
function smooth(xs, a) {
  const out = []
  let y = null
  for (const x of xs) {
    y = y === null ? x : a * x + (1 - a) * y
    out.push(y)
  }
  return out
}

/** MACD 12/26/9 of the quote software: DIF = EMA12 − EMA26, DEA = EMA9(DIF), bar = 2 × (DIF − DEA). */
export function macd(close) {
  const e12 = smooth(close, 2 / 13)
  const e26 = smooth(close, 2 / 27)
  const dif = close.map((_, i) => e12[i] - e26[i])
  const dea = smooth(dif, 2 / 10)
  return { dif, dea, bar: dif.map((d, i) => 2 * (d - dea[i])) }
}

/** KDJ 9/3/3: RSV over 9 bars (50 for an empty range), K and D = SMA(x,3,1) from 50, J = 3K − 2D; from bar 8. */
export function kdj(high, low, close) {
  const k = []
  const d = []
  const j = []
  let kp = 50
  let dp = 50
  for (let i = 0; i < close.length; i++) {
    if (i < 8) {
      k.push(null), d.push(null), j.push(null)
      continue
    }
    const hh = Math.max(...high.slice(i - 8, i + 1))
    const ll = Math.min(...low.slice(i - 8, i + 1))
    const rsv = hh === ll ? 50 : ((close[i] - ll) / (hh - ll)) * 100
    kp = (2 * kp + rsv) / 3
    dp = (2 * dp + kp) / 3
    k.push(kp), d.push(dp), j.push(3 * kp - 2 * dp)
  }
  return { k, d, j }
}

/** RSI(n) = SMA(max(ΔC, 0), n, 1) / SMA(|ΔC|, n, 1) × 100, both seeded by their first value (bar 1). */
export function rsi(close, n) {
  const out = [null]
  let up = null
  let all = null
  for (let i = 1; i < close.length; i++) {
    const ch = close[i] - close[i - 1]
    up = up === null ? Math.max(ch, 0) : (Math.max(ch, 0) + (n - 1) * up) / n
    all = all === null ? Math.abs(ch) : (Math.abs(ch) + (n - 1) * all) / n
    out.push(all === 0 ? null : (up / all) * 100)
  }
  return out
}
