import { describe, expect, it } from 'vitest'
import { clampPage, MAX_PAGE_SIZE, pageQuery } from '../src/utils/paging'

describe('pageQuery', () => {
  it('turns a 1-based page into limit and offset', () => {
    expect(pageQuery(1, 20)).toEqual({ limit: 20, offset: 0 })
    expect(pageQuery(3, 20)).toEqual({ limit: 20, offset: 40 })
  })
  it('keeps sizes and pages within what the server takes', () => {
    expect(pageQuery(2, 500)).toEqual({ limit: MAX_PAGE_SIZE, offset: MAX_PAGE_SIZE })
    expect(pageQuery(0, 0)).toEqual({ limit: 1, offset: 0 })
    expect(pageQuery(Number.NaN, 20)).toEqual({ limit: 20, offset: 0 })
  })
})

describe('clampPage', () => {
  it('keeps a page that still exists', () => {
    expect(clampPage(2, 20, 41)).toBe(2)
  })
  it('moves to the last page when a delete emptied the current one', () => {
    expect(clampPage(3, 20, 40)).toBe(2)
    expect(clampPage(5, 20, 0)).toBe(1)
  })
})
