// The overview's rankings and how they map to the hot-list API and to the URL (?rank=loss).

export type Ranking = 'amount' | 'gain' | 'loss' | 'turnover_rate'
export const RANKINGS: Ranking[] = ['amount', 'gain', 'loss', 'turnover_rate']

export function sortOfRanking(r: Ranking): { sort_by: string; order?: 'asc' } {
  switch (r) {
    case 'gain':
      return { sort_by: 'pct_chg' }
    case 'loss':
      return { sort_by: 'pct_chg', order: 'asc' }
    default:
      return { sort_by: r }
  }
}

/** A sorted column header → its ranking, or null when that column has none. */
export function rankingOf(prop: string, order: 'asc' | 'desc'): Ranking | null {
  if (prop === 'pct_chg') return order === 'asc' ? 'loss' : 'gain'
  if (prop === 'amount' || prop === 'turnover_rate') return prop
  return null
}

/** The ranking named in the URL, or the default when absent or unknown (ETFs have no turnover). */
export function parseRanking(v: unknown, allowed: Ranking[] = RANKINGS, def: Ranking = 'amount'): Ranking {
  return typeof v === 'string' && (allowed as string[]).includes(v) ? (v as Ranking) : def
}
