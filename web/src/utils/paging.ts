// The workflow list is paged by the server (GET /api/workflows?limit&offset answers one page and the
// total); the view keeps a 1-based page number and a page size.

/** The server's largest page. */
export const MAX_PAGE_SIZE = 100

/** limit/offset of a 1-based page; sizes are clamped to what the server takes. */
export function pageQuery(page: number, size: number): { limit: number; offset: number } {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(size) || 1))
  const p = Math.max(1, Math.floor(page) || 1)
  return { limit, offset: (p - 1) * limit }
}

/** The page to show after the list changed size: the same one, or the last that still exists. */
export function clampPage(page: number, size: number, total: number): number {
  const last = Math.max(1, Math.ceil(total / Math.max(1, size)))
  return Math.min(Math.max(1, page), last)
}
