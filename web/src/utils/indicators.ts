// The indicator panes under the K-line: which are shown, and the API's series lined up with the bars
// on screen (the answer covers the same trading days; a day it lacks gets no value).
import type { Indicators, Series } from '../api/types'
import { isPhone } from './media'

export type Pane = 'macd' | 'kdj' | 'rsi' | 'boll'
export const PANES: Pane[] = ['macd', 'kdj', 'rsi', 'boll']
const KEY = 'stockd.panes'

/** The panes chosen last, else all on a desktop and MACD with BOLL on a phone. */
export function loadPanes(): Pane[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || 'null')
    if (Array.isArray(v)) return v.filter((p): p is Pane => (PANES as string[]).includes(p))
  } catch {
    /* no storage, or not ours */
  }
  return isPhone.value ? ['macd', 'boll'] : [...PANES]
}

export function savePanes(p: Pane[]) {
  try {
    localStorage.setItem(KEY, JSON.stringify(p))
  } catch {
    /* ignore */
  }
}

export interface AlignedIndicators {
  macd?: { dif: Series; dea: Series; bar: Series }
  kdj?: { k: Series; d: Series; j: Series }
  rsi?: Record<string, Series>
  boll?: { mid: Series; upper: Series; lower: Series }
}

/** The answer's series re-indexed to dates (the bars on screen); a date the answer lacks is null. */
export function alignIndicators(ind: Indicators | null | undefined, dates: string[]): AlignedIndicators | null {
  if (!ind?.dates?.length) return null
  const at = new Map<string, number>()
  ind.dates.forEach((d, i) => at.set(d.slice(0, 10), i))
  const pick = (s: Series | undefined): Series => dates.map((d) => {
    const i = at.get(d)
    return i === undefined || !s ? null : (s[i] ?? null)
  })
  const lines = <K extends string>(o: Record<K, Series> | undefined) =>
    o ? (Object.fromEntries(Object.entries(o).map(([k, v]) => [k, pick(v as Series)])) as Record<K, Series>) : undefined
  return { macd: lines(ind.macd), kdj: lines(ind.kdj), rsi: lines(ind.rsi), boll: lines(ind.boll) }
}
