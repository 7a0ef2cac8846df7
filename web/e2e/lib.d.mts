export function parseCsv(text: string): Record<string, string>[]
export function isoWeek(day: string): string
export interface Candle {
  date: string
  open: number
  high: number
  low: number
  close: number
  pre_close: number
  vol: number
  amount: number
}
export function aggregate(bars: Candle[], period: 'week' | 'month'): Candle[]
export function englishIn(): string[]
