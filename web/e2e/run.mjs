#!/usr/bin/env node
// End-to-end checks of the web UI against a running stockd (real API, real snapshot data), in headless
// Chromium through playwright-core. Usage: node web/e2e/run.mjs http://127.0.0.1:PORT
// Env: CHROMIUM (default /usr/bin/chromium), E2E_DATA_DIR (default testdata/tushare-2025-12-18
// relative to the repo root), E2E_SCREENSHOTS (default docs/screenshots in the repo).
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..', '..')
const base = (process.argv[2] || process.env.E2E_BASE_URL || '').replace(/\/$/, '')
if (!base) {
  console.error('usage: node web/e2e/run.mjs http://127.0.0.1:PORT')
  process.exit(2)
}
const dataDir = resolve(repo, process.env.E2E_DATA_DIR || 'testdata/tushare-2025-12-18')
const shotDir = resolve(repo, process.env.E2E_SCREENSHOTS || 'docs/screenshots')
mkdirSync(shotDir, { recursive: true })

// ---------- helpers ----------

/** Minimal RFC 4180 line parser (the snapshot has no embedded newlines). */
function parseCsvLine(line) {
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

/** The day's top gainer from daily.csv: max pct_chg on the latest trade_date, ties by ts_code ascending. */
function expectedTopGainer() {
  const lines = readFileSync(join(dataDir, 'daily.csv'), 'utf8').split(/\r?\n/).filter((l) => l.trim())
  const header = parseCsvLine(lines[0]).map((h) => h.trim().replace(/^\uFEFF/, ''))
  const iCode = header.indexOf('ts_code')
  const iDate = header.indexOf('trade_date')
  const iPct = header.indexOf('pct_chg')
  if (iCode < 0 || iDate < 0 || iPct < 0) throw new Error(`daily.csv header lacks ts_code/trade_date/pct_chg: ${header}`)
  const rows = lines.slice(1).map(parseCsvLine)
  const latest = rows.reduce((m, r) => (r[iDate] > m ? r[iDate] : m), '')
  let best = null
  for (const r of rows) {
    if (r[iDate] !== latest || r[iPct] === '') continue
    const pct = Number(r[iPct])
    if (!Number.isFinite(pct)) continue
    if (!best || pct > best.pct || (pct === best.pct && r[iCode] < best.code)) best = { code: r[iCode], pct }
  }
  if (!best) throw new Error('no bars in daily.csv')
  return best
}

const results = []
async function step(name, fn) {
  const t0 = Date.now()
  try {
    await fn()
    results.push({ name, ok: true })
    console.log(`ok   ${name} (${Date.now() - t0} ms)`)
  } catch (e) {
    results.push({ name, ok: false, error: e })
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`)
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg)
}
// When the server runs with API_TOKEN, pass the same value as E2E_API_TOKEN: the UI must then ask for it.
const apiToken = process.env.E2E_API_TOKEN || ''
async function api(method, path, body) {
  const headers = body ? { 'Content-Type': 'application/json' } : {}
  if (apiToken && method !== 'GET') headers.Authorization = `Bearer ${apiToken}`
  const res = await fetch(base + path, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  let json
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: res.status, json, text }
}
/** API field path → data-testid of the form item that shows it (mirrors src/utils/fieldErrors.ts). */
function fieldTestId(field) {
  const f = field.replace(/\.(\d+)(?=\.|$)/g, '[$1]')
  const v = /^variables\[(\d+)\]\.(\w+)$/.exec(f)
  if (v) return `field-variables-${v[1]}-${v[2]}`
  const m = /^(selected_tools|tags|variables)(\[\d+\])?$/.exec(f)
  if (m) return `field-${m[1]}`
  return `field-${f}`
}

// ---------- run ----------

const userDataDir = mkdtempSync(join(tmpdir(), 'stockd-e2e-chromium-'))
// A fresh profile per run; playwright takes it as launchPersistentContext's first argument.
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1400, height: 900 },
  locale: 'zh-CN',
})
const page = await context.newPage()
page.setDefaultTimeout(15000)
const pageErrors = []
page.on('pageerror', (e) => pageErrors.push(String(e)))
page.on('console', (m) => {
  if (m.type() === 'error') console.log(`  [browser console] ${m.text()}`)
})

const created = []
try {
  await step('overview: sorted by pct_chg, the day’s real top gainer comes first', async () => {
    const top = expectedTopGainer()
    console.log(`  expected top gainer from daily.csv: ${top.code} (${top.pct}%)`)
    await page.goto(base + '/')
    await page.locator('[data-testid=hot-stocks] .el-table__row').first().waitFor()
    await page.locator('[data-testid=hot-stocks-sort-pct_chg]').click()
    await page.locator('[data-testid=hot-stocks] .el-table[data-sort=pct_chg] .el-table__row').first().waitFor()
    const firstCode = (await page.locator('[data-testid=hot-stocks] .el-table__row').first().locator('td.col-code').innerText()).trim()
    assert(firstCode === top.code, `first row is ${firstCode}, expected ${top.code}`)
    // Red for up (Chinese convention).
    if (top.pct > 0) {
      const color = await page
        .locator('[data-testid=hot-stocks] .el-table__row')
        .first()
        .locator('span.is-up')
        .first()
        .evaluate((el) => getComputedStyle(el).color)
      assert(color === 'rgb(229, 57, 53)', `gainer colour is ${color}, expected red`)
    }
    // Breadth cards show numbers.
    const up = (await page.locator('[data-testid=stat-up]').innerText()).trim()
    assert(/^\d[\d,]*$/.test(up), `up count not shown: "${up}"`)
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(shotDir, 'overview.png') })
  })

  await step('stock: search 贵州茅台, pick the suggestion, 600519.SH with a drawn chart', async () => {
    await page.goto(base + '/stock')
    const input = page.locator('.el-autocomplete input')
    await input.click()
    await input.fill('贵州茅台')
    const item = page.locator('.stock-search-popper [data-code="600519.SH"]')
    await item.waitFor()
    await item.click()
    await page.waitForURL(/\/stock\/600519\.SH$/)
    await page.locator('[data-testid=stock-code]', { hasText: '600519.SH' }).waitFor()
    const name = (await page.locator('[data-testid=stock-name]').innerText()).trim()
    assert(name === '贵州茅台', `basic card name is "${name}"`)
    const canvas = page.locator('[data-testid=kline-chart] canvas').first()
    await canvas.waitFor()
    await page.waitForTimeout(500)
    const painted = await canvas.evaluate((c) => {
      const ctx = c.getContext('2d')
      if (!c.width || !c.height || !ctx) return 0
      const d = ctx.getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++
      return n
    })
    assert(painted > 1000, `chart canvas is (nearly) empty: ${painted} painted pixels`)
    const bars = Number(await page.locator('[data-testid=kline-chart]').getAttribute('data-bars'))
    assert(bars >= 1, `chart has ${bars} bars`)
    await page.screenshot({ path: join(shotDir, 'stock.png') })
  })

  const wfName = `e2e 工作流 ${Date.now()}`
  let wfId = ''
  await step('workflows: create through the form, it appears in the list', async () => {
    await page.goto(base + '/workflows')
    await page.locator('[data-testid=wf-table] .el-table__row').first().waitFor()
    await page.locator('[data-testid=wf-new]').click()
    const form = page.locator('[data-testid=wf-form]')
    await form.waitFor()
    await page.locator('input[data-testid=wf-name]').fill(wfName)
    await page.locator('textarea[data-testid=wf-description]').fill('created by the end-to-end test')
    await page.locator('[data-testid=wf-add-var]').click()
    await page.locator('input[data-testid=var-name-0]').fill('stock_code')
    await page.locator('input[data-testid=var-label-0]').fill('股票代码')
    await page.locator('textarea[data-testid=wf-user-prompt]').fill('请分析 {{stock_code}} 的走势')
    await page.locator('[data-testid=wf-save]').click()
    if (apiToken) {
      // The write gets 401; the UI asks for the token once, keeps it and retries.
      const dialog = page.locator('.token-dialog')
      await dialog.waitFor()
      await dialog.locator('input').fill(apiToken)
      await dialog.locator('.el-dialog__footer .el-button--primary').click()
    }
    const row = page.locator('[data-testid=wf-table] .el-table__row', { has: page.locator(`[data-wf-name="${wfName}"]`) })
    await row.waitFor()
    if (apiToken) {
      const stored = await page.evaluate(() => localStorage.getItem('stockd.apiToken'))
      assert(stored === apiToken, `token not kept in localStorage: ${stored}`)
    }
    const list = await api('GET', '/api/workflows?include_templates=true')
    const w = (list.json?.workflows ?? []).find((x) => x.name === wfName)
    assert(w && w.id, 'created workflow not returned by the API')
    created.push(w.id)
    wfId = w.id
    assert(w.user_prompt_template === '请分析 {{stock_code}} 的走势', `stored template: ${w.user_prompt_template}`)
    assert(w.variables?.[0]?.name === 'stock_code', 'variable not stored')
  })

  await step('workflows: the API’s 422 message shows next to the field (undeclared placeholder)', async () => {
    const badName = `e2e bad ${Date.now()}`
    const payload = {
      name: badName,
      description: '',
      category: '',
      tags: [],
      system_prompt: '',
      user_prompt_template: '请分析 {{undeclared}}',
      variables: [],
      selected_tools: [],
    }
    // What the API says about this exact payload (the expected text in the UI).
    const direct = await api('POST', '/api/workflows', payload)
    if (direct.status < 300 && direct.json?.id) created.push(direct.json.id)
    assert(direct.status === 422, `API answered ${direct.status} to an undeclared placeholder: ${direct.text.slice(0, 200)}`)
    const detail = (direct.json?.error?.details ?? [])[0]
    assert(detail && detail.message, `422 without details: ${direct.text.slice(0, 200)}`)

    await page.locator('[data-testid=wf-new]').click()
    await page.locator('[data-testid=wf-form]').waitFor()
    await page.locator('input[data-testid=wf-name]').fill(badName)
    await page.locator('textarea[data-testid=wf-user-prompt]').fill(payload.user_prompt_template)
    // The client-side check warns but does not block: the server is the authority.
    await page.locator('[data-testid=placeholder-warning]').waitFor()
    await page.locator('[data-testid=wf-save]').click()
    const err = page.locator(`[data-testid="${fieldTestId(detail.field)}"] .el-form-item__error`).first()
    await err.waitFor()
    const text = (await err.innerText()).trim()
    assert(text.includes(detail.message), `field ${detail.field} shows "${text}", API said "${detail.message}"`)
    console.log(`  ${detail.field}: ${text}`)
    await page.locator('.el-drawer__close-btn').click()
    await page.locator('[data-testid=wf-form]').waitFor({ state: 'detached' })
  })

  await step('workflows: a duplicate variable name gets the API’s message on the variable row', async () => {
    const badName = `e2e dup ${Date.now()}`
    await page.locator('[data-testid=wf-new]').click()
    await page.locator('[data-testid=wf-form]').waitFor()
    await page.locator('input[data-testid=wf-name]').fill(badName)
    await page.locator('[data-testid=wf-add-var]').click()
    await page.locator('[data-testid=wf-add-var]').click()
    await page.locator('input[data-testid=var-name-0]').fill('code')
    await page.locator('input[data-testid=var-name-1]').fill('code')
    await page.locator('textarea[data-testid=wf-user-prompt]').fill('看看 {{code}}')
    await page.locator('[data-testid=wf-save]').click()
    const err = page.locator('[data-testid^=field-variables] .el-form-item__error').first()
    await err.waitFor()
    const text = (await err.innerText()).trim()
    assert(text.length > 0, 'no error text on the variables')
    console.log(`  variables: ${text}`)
    const list = await api('GET', '/api/workflows?include_templates=true')
    assert(!(list.json?.workflows ?? []).some((x) => x.name === badName), 'invalid workflow was stored')
    await page.locator('.el-drawer__close-btn').click()
    await page.locator('[data-testid=wf-form]').waitFor({ state: 'detached' })
  })

  await step('workflows: later writes reuse the stored token (no second dialog)', async () => {
    // The 422 steps above already wrote twice; with a token server they must not have asked again.
    assert((await page.locator('.token-dialog').filter({ visible: true }).count()) === 0, 'token dialog is open again')
    if (apiToken) {
      const stored = await page.evaluate(() => localStorage.getItem('stockd.apiToken'))
      assert(stored === apiToken, `stored token changed to ${stored}`)
    }
  })

  await step('workflows: delete with confirmation removes it from the list', async () => {
    const row = page.locator('[data-testid=wf-table] .el-table__row', { has: page.locator(`[data-wf-name="${wfName}"]`) })
    await row.waitFor()
    await page.locator('.el-message').waitFor({ state: 'detached', timeout: 8000 }).catch(() => {})
    await page.screenshot({ path: join(shotDir, 'workflows.png') })
    // Element Plus renders a fixed column twice; click the visible button.
    await row.locator('[data-testid=wf-delete]').filter({ visible: true }).first().click()
    const box = page.locator('.el-message-box')
    await box.waitFor()
    assert((await box.innerText()).includes(wfName), 'confirmation does not name the workflow')
    await box.locator('.el-message-box__btns .el-button--danger, .el-message-box__btns .el-button--primary').first().click()
    await row.waitFor({ state: 'detached' })
    const list = await api('GET', '/api/workflows?include_templates=true')
    assert(!(list.json?.workflows ?? []).some((x) => x.name === wfName), 'workflow still returned by the API')
    if (created.includes(wfId)) created.splice(created.indexOf(wfId), 1)
  })

  await step('status: health page shows the overall state and services', async () => {
    await page.goto(base + '/status')
    const tag = page.locator('[data-testid=health-status]')
    await tag.waitFor()
    const text = (await tag.innerText()).trim()
    assert(['健康', '降级', '不可用'].includes(text), `unexpected health status "${text}"`)
    await page.locator('[data-testid^=service-]').first().waitFor()
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(shotDir, 'status.png') })
  })

  await step('language switch: English labels, then back to Chinese', async () => {
    await page.locator('[data-testid=lang-switch]').click()
    await page.locator('[data-testid=nav-status]', { hasText: 'Status' }).waitFor()
    await page.locator('[data-testid=health-status]', { hasText: /healthy|degraded|unhealthy/ }).waitFor()
    await page.locator('[data-testid=lang-switch]').click()
    await page.locator('[data-testid=nav-status]', { hasText: '系统状态' }).waitFor()
  })

  await step('no uncaught errors in the page', async () => {
    assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`)
  })
} finally {
  for (const id of created) await api('DELETE', `/api/workflows/${encodeURIComponent(id)}`).catch(() => {})
  await context.close()
  rmSync(userDataDir, { recursive: true, force: true })
}

const failed = results.filter((r) => !r.ok)
console.log(`\n${results.length - failed.length}/${results.length} e2e checks passed; screenshots in ${shotDir}`)
process.exit(failed.length ? 1 : 0)
