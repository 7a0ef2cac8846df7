// Codes, boards and daily price limits (README "API", DESIGN.md §6).

/** 600519, 600519.SH, sh600519 — the spellings the API resolves. */
export function looksLikeCode(q: string): boolean {
  return /^(sh|sz|bj)?\d{6}(\.(sh|sz|bj))?$/i.test(q.trim())
}

export type Board = 'main' | 'chinext' | 'star' | 'bse' | 'fund' | 'other'

/** The board of a code like 600519.SH, by the same prefixes as the server (internal/market/code.go). */
export function boardOf(tsCode: string): Board {
  const [d = '', ex = ''] = tsCode.toUpperCase().split('.')
  if (!/^\d{6}$/.test(d)) return 'other'
  const p3 = d.slice(0, 3)
  if (ex === 'SH') {
    if (['600', '601', '603', '605'].includes(p3)) return 'main'
    if (['688', '689'].includes(p3)) return 'star'
    if (d[0] === '5') return 'fund'
  } else if (ex === 'SZ') {
    if (['000', '001', '002', '003'].includes(p3)) return 'main'
    if (['300', '301', '302'].includes(p3)) return 'chinext'
    if (d[0] === '1') return 'fund'
  } else if (ex === 'BJ') {
    if (d[0] === '4' || d[0] === '8' || d.startsWith('920')) return 'bse'
  }
  return 'other'
}

/** ST, *ST, or a leading S for shares that have not completed the split-share reform. */
export function isRiskWarning(name: string | null | undefined): boolean {
  const n = (name ?? '').trim().toUpperCase()
  if (n.includes('ST') || n.startsWith('S ')) return true
  return n.length > 1 && n[0] === 'S' && n.charCodeAt(1) >= 0x80
}

/** The day main-board ST stocks moved from ±5% to ±10%. */
export const ST_WIDENED = '2026-07-06'

/**
 * The daily limit in percent of a stock on a trade date (YYYY-MM-DD): main ±10%, ChiNext and STAR
 * ±20%, BSE ±30%; main-board ST ±5% before 2026-07-06 and ±10% from then. 0 = no rule we know (funds).
 */
export function limitPct(tsCode: string, name: string | null | undefined, tradeDate: string): number {
  switch (boardOf(tsCode)) {
    case 'main':
      return isRiskWarning(name) && tradeDate < ST_WIDENED ? 5 : 10
    case 'star':
    case 'chinext':
      return 20
    case 'bse':
      return 30
    default:
      return 0
  }
}

/** Price → whole fen, rounded to the nearest. */
export function toFen(price: number): number {
  return price < 0 ? -Math.floor(-price * 100 + 0.5) : Math.floor(price * 100 + 0.5)
}

export interface LimitPrices {
  up: number
  down: number
}

/**
 * Limit-up and limit-down prices: pre_close × (1 ± limit), rounded half-up to the fen, computed in whole
 * fen so binary floating point cannot turn 1.265 into 1.26. The Beijing exchange rounds toward the
 * previous close instead (limit-up down, limit-down up): its own stk_limit prices show it, e.g.
 * 19.69 × 1.3 = 25.597 → 25.59. Null without a previous close or a rule (funds).
 */
export function limitPrices(
  preClose: number | null | undefined,
  tsCode: string,
  name: string | null | undefined,
  tradeDate: string,
): LimitPrices | null {
  if (typeof preClose !== 'number' || !Number.isFinite(preClose) || preClose <= 0) return null
  const pct = limitPct(tsCode, name, tradeDate)
  if (!pct) return null
  const pre = toFen(preClose)
  if (boardOf(tsCode) === 'bse') {
    return { up: Math.floor((pre * (100 + pct)) / 100) / 100, down: Math.ceil((pre * (100 - pct)) / 100) / 100 }
  }
  return { up: Math.floor((pre * (100 + pct) + 50) / 100) / 100, down: Math.floor((pre * (100 - pct) + 50) / 100) / 100 }
}
