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
export function boardOf(code: string): string
export function isSTName(name: string): boolean
export function bruteScreen(rows: Record<string, any>[], q: Record<string, any>): Record<string, any>[]
export function macd(close: number[]): { dif: number[]; dea: number[]; bar: number[] }
export function kdj(high: number[], low: number[], close: number[]): { k: (number | null)[]; d: (number | null)[]; j: (number | null)[] }
export function rsi(close: number[], n: number): (number | null)[]
