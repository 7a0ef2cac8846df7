#!/usr/bin/env node
// End-to-end checks of the web UI against real stockd servers, in headless Chromium through
// playwright-core. Usage: node web/e2e/run.mjs http://127.0.0.1:PORT
//
// The server at the URL serves the real 2025-12-18 snapshot (one day) with API_TOKEN set. For what one
// day cannot show (K-lines of many bars, weekly and monthly candles, screenshots) and for the server
// going away and coming back, this script starts its own `stockd serve` on a demo market.
// Env: CHROMIUM (default /usr/bin/chromium), E2E_DATA_DIR (the snapshot's CSVs), E2E_API_TOKEN,
// E2E_STOCKD (the stockd binary), E2E_DEMO_DB (SQLite file with `stockd demo` data), E2E_WEB_DIR (the
// built UI), E2E_SCREENSHOTS (folder for screenshots; default a temp folder — `npm run screenshots`
// points it at docs/screenshots).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium } from './browser.mjs'
import { aggregate, englishIn, parseCsv } from './lib.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '..', '..')
const base = (process.argv[2] || process.env.E2E_BASE_URL || '').replace(/\/$/, '')
if (!base) {
  console.error('usage: node web/e2e/run.mjs http://127.0.0.1:PORT')
  process.exit(2)
}
const dataDir = resolve(repo, process.env.E2E_DATA_DIR || 'testdata/tushare-2025-12-18')
const shotDir = process.env.E2E_SCREENSHOTS
  ? resolve(repo, process.env.E2E_SCREENSHOTS)
  : mkdtempSync(join(tmpdir(), 'stockd-e2e-shots-'))
mkdirSync(shotDir, { recursive: true })
const stockdBin = process.env.E2E_STOCKD ? resolve(repo, process.env.E2E_STOCKD) : ''
const demoDb = process.env.E2E_DEMO_DB ? resolve(repo, process.env.E2E_DEMO_DB) : ''
const webDir = resolve(repo, process.env.E2E_WEB_DIR || 'web/dist')

const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1400, height: 1000 }
const LAPTOP = { width: 1024, height: 800 }

// ---------- helpers ----------

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
const near = (a, b, eps = 1e-6) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(a), Math.abs(b))

function csv(name) {
  return parseCsv(readFileSync(join(dataDir, name), 'utf8'))
}

/** The day's top gainer from daily.csv: max pct_chg on the latest trade_date, ties by ts_code ascending. */
function expectedTopGainer() {
  const rows = csv('daily.csv')
  const latest = rows.reduce((m, r) => (r.trade_date > m ? r.trade_date : m), '')
  let best = null
  for (const r of rows) {
    if (r.trade_date !== latest || r.pct_chg === '') continue
    const pct = Number(r.pct_chg)
    if (!Number.isFinite(pct)) continue
    if (!best || pct > best.pct || (pct === best.pct && r.ts_code < best.code)) best = { code: r.ts_code, pct }
  }
  if (!best) throw new Error('no bars in daily.csv')
  return best
}

// When the server runs with API_TOKEN, pass the same value as E2E_API_TOKEN: the UI must then ask for it.
const apiToken = process.env.E2E_API_TOKEN || ''
async function api(method, path, body, at = base) {
  const headers = body ? { 'Content-Type': 'application/json' } : {}
  if (apiToken && method !== 'GET') headers.Authorization = `Bearer ${apiToken}`
  const res = await fetch(at + path, { method, headers, body: body ? JSON.stringify(body) : undefined })
  const text = await res.text()
  let json
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: res.status, json, text, headers: res.headers }
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

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.on('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => res(p))
    })
  })
}

/** A `stockd serve` of our own on the demo market; stop() and start() again on the same port. */
async function demoServer() {
  assert(stockdBin && demoDb, 'E2E_STOCKD and E2E_DEMO_DB are needed for the demo-market checks')
  const port = await freePort()
  const cwd = mkdtempSync(join(tmpdir(), 'stockd-e2e-demo-'))
  const url = `http://127.0.0.1:${port}`
  const env = { ...process.env, HTTP_ADDR: `127.0.0.1:${port}`, SQLITE_PATH: demoDb, WEB_DIR: webDir }
  for (const k of ['API_TOKEN', 'CLICKHOUSE_HOST', 'REDIS_HOST']) delete env[k]
  let proc = null
  const srv = {
    url,
    async start() {
      const log = openSync(join(cwd, 'server.log'), 'a')
      proc = spawn(stockdBin, ['serve'], { cwd, env, stdio: ['ignore', log, log] })
      for (let i = 0; i < 150; i++) {
        try {
          if ((await fetch(url + '/health')).ok) return
        } catch {
          /* not up yet */
        }
        if (proc.exitCode !== null) break
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`demo stockd did not start:\n${readFileSync(join(cwd, 'server.log'), 'utf8').slice(-2000)}`)
    },
    async stop() {
      if (!proc || proc.exitCode !== null) return
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await exited
    },
    async close() {
      await srv.stop()
      rmSync(cwd, { recursive: true, force: true })
    },
  }
  await srv.start()
  return srv
}

async function noHorizontalOverflow(page, label) {
  const [sw, bw, iw] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.body.scrollWidth,
    window.innerWidth,
  ])
  assert(sw <= iw && bw <= iw, `${label}: the document is ${Math.max(sw, bw)} px wide in a ${iw} px viewport`)
}

/** The element is drawn inside the viewport and inside every clipping ancestor (no cut-off). */
async function fullyVisible(locator, label) {
  const r = await locator.evaluate((el) => {
    const b = el.getBoundingClientRect()
    let clipped = null
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p)
      if (s.overflowX !== 'visible' || s.overflow === 'hidden') {
        const pb = p.getBoundingClientRect()
        if (b.left < pb.left - 1 || b.right > pb.right + 1) {
          clipped = `${p.tagName.toLowerCase()}.${[...p.classList].join('.')}`
          break
        }
      }
    }
    return { left: b.left, right: b.right, width: b.width, vw: window.innerWidth, clipped, text: el.innerText }
  })
  assert(r.width > 0, `${label}: not drawn`)
  assert(r.left >= -1 && r.right <= r.vw + 1, `${label}: at ${r.left.toFixed(0)}–${r.right.toFixed(0)} px, viewport ${r.vw} px`)
  assert(!r.clipped, `${label}: cut off by ${r.clipped}`)
  return r
}

/** Every number in the element's tables and panels sits on one line and is not cut off by its cell. */
async function numbersUnbroken(page, selector, label) {
  const bad = await page.evaluate((sel) => {
    const out = []
    for (const root of document.querySelectorAll(sel)) {
      for (const el of root.querySelectorAll('.num')) {
        if (!el.offsetParent || !el.textContent.trim()) continue
        const rects = el.getClientRects()
        const cell = el.closest('.cell, .q, .stat, td')
        const b = el.getBoundingClientRect()
        const cb = cell ? cell.getBoundingClientRect() : b
        if (rects.length > 1 || b.right > cb.right + 1 || b.left < cb.left - 1) out.push(el.textContent.trim())
      }
    }
    return out.slice(0, 5)
  }, selector)
  assert(!bad.length, `${label}: numbers wrapped or cut off: ${bad.join(' | ')}`)
}

async function expectNoEnglish(page, label) {
  const bad = await page.evaluate(englishIn)
  assert(!bad.length, `${label}: English in the Chinese UI: ${JSON.stringify(bad.slice(0, 8))}`)
}

// ---------- run ----------

const browser = await launchChromium(DESKTOP)
const context = browser.context
const page = await context.newPage()
page.setDefaultTimeout(15000)
const pageErrors = []
page.on('pageerror', (e) => pageErrors.push(String(e)))
page.on('console', (m) => {
  if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|Failed to fetch/.test(m.text()))
    console.log(`  [browser console] ${m.text()}`)
})

const created = []
let demo = null
try {
  // ======== the real snapshot ========

  await step('overview: sorted by 涨幅, the day’s real top gainer comes first; sort kept in the URL', async () => {
    const top = expectedTopGainer()
    console.log(`  expected top gainer from daily.csv: ${top.code} (${top.pct}%)`)
    await page.goto(base + '/')
    await page.locator('[data-testid=hot-stocks] .el-table__row').first().waitFor()
    await page.locator('[data-testid=hot-stocks-sort-gain]').click()
    await page.locator('[data-testid=hot-stocks] .el-table[data-sort=gain] .el-table__row').first().waitFor()
    const firstCode = (await page.locator('[data-testid=hot-stocks] .el-table__row').first().locator('.col-code').innerText()).trim()
    assert(firstCode === top.code, `first row is ${firstCode}, expected ${top.code}`)
    assert(/[?&]rank=gain\b/.test(page.url()), `ranking not in the URL: ${page.url()}`)
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
    const up = (await page.locator('[data-testid=stat-up]').innerText()).trim()
    assert(/^\d[\d,]*$/.test(up), `up count not shown: "${up}"`)
    // The ranking survives a reload: it lives in the URL.
    await page.reload()
    await page.locator('[data-testid=hot-stocks] .el-table[data-sort=gain] .el-table__row').first().waitFor()
    const again = (await page.locator('[data-testid=hot-stocks] .el-table__row').first().locator('.col-code').innerText()).trim()
    assert(again === top.code, `after reload the first row is ${again}`)
    assert((await page.title()).startsWith('市场概览'), `title "${await page.title()}"`)
  })

  await step('overview: 跌幅榜 lists the biggest losers first (the server ranks with order=asc)', async () => {
    await page.goto(base + '/?rank=loss')
    const rows = page.locator('[data-testid=hot-stocks] .el-table[data-sort=loss] .el-table__row')
    const unsupported = page.locator('[data-testid=hot-stocks] [data-testid=loss-unsupported]')
    await rows.first().or(unsupported).waitFor()
    assert(!(await unsupported.isVisible()), '跌幅榜 says the server cannot rank ascending, but this server can')
    const pcts = await rows.locator('.col-pct').allInnerTexts()
    const vals = pcts.map((s) => Number(s.replace('%', '')))
    assert(vals.length >= 2, `跌幅榜 has ${vals.length} rows`)
    for (let i = 1; i < vals.length; i++) assert(vals[i] >= vals[i - 1], `跌幅榜 not ascending: ${pcts.join(' ')}`)
    assert(vals[0] < 0, `跌幅榜 starts with ${pcts[0]}, not a loss`)
  })

  await step('键盘精灵: typing 600519 and Enter on the overview opens 贵州茅台; the title names it', async () => {
    await page.goto(base + '/')
    await page.locator('[data-testid=hot-stocks] .el-table__row').first().waitFor()
    await page.locator('body').click({ position: { x: 5, y: 300 } })
    await page.keyboard.type('600519')
    await page.locator('[data-testid=keyboard-wizard]').waitFor()
    assert((await page.locator('[data-testid=kw-input]').inputValue()) === '600519', 'the typed code is not in the box')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/stock\/600519\.SH/)
    await page.locator('[data-testid=stock-name]', { hasText: '贵州茅台' }).waitFor()
    await page.waitForFunction(() => document.title.startsWith('贵州茅台 600519.SH · 个股详情'))
  })

  await step('stock: the quote panel shows the day’s bar and the main board’s ±10% limit prices', async () => {
    const bar = csv('daily.csv').find((r) => r.ts_code === '600519.SH')
    assert(bar, 'snapshot lacks 600519.SH')
    // Main board ±10% of the previous close, half-up to the fen, in whole fen.
    const pre = Math.round(Number(bar.pre_close) * 100)
    const lim = { up_limit: Math.floor((pre * 110 + 50) / 100) / 100, down_limit: Math.floor((pre * 90 + 50) / 100) / 100 }
    const text = async (id) => (await page.locator(`[data-testid=${id}] .v`).innerText()).trim()
    assert((await text('q-open')) === Number(bar.open).toFixed(2), `今开 ${await text('q-open')} vs ${bar.open}`)
    assert((await text('q-high')) === Number(bar.high).toFixed(2), `最高 ${await text('q-high')} vs ${bar.high}`)
    assert((await text('q-low')) === Number(bar.low).toFixed(2), `最低 ${await text('q-low')} vs ${bar.low}`)
    assert((await text('q-pre')) === Number(bar.pre_close).toFixed(2), `昨收 ${await text('q-pre')} vs ${bar.pre_close}`)
    assert((await text('q-limit-up')) === lim.up_limit.toFixed(2), `涨停价 ${await text('q-limit-up')} vs ${lim.up_limit}`)
    assert((await text('q-limit-down')) === lim.down_limit.toFixed(2), `跌停价 ${await text('q-limit-down')} vs ${lim.down_limit}`)
    const amp = (((Number(bar.high) - Number(bar.low)) / Number(bar.pre_close)) * 100).toFixed(2) + '%'
    assert((await text('q-amplitude')) === amp, `振幅 ${await text('q-amplitude')} vs ${amp}`)
    for (const id of ['q-vol', 'q-amount', 'q-turnover']) assert(/\d/.test(await text(id)), `${id} empty`)
  })

  await step('stock: the search box opens the 键盘精灵; 贵州茅台 by name, picked with the mouse, has a drawn chart', async () => {
    await page.goto(base + '/stock')
    await page.locator('[data-testid=stock-search]').click()
    const input = page.locator('[data-testid=kw-input]')
    await input.waitFor()
    await input.fill('贵州茅台')
    const item = page.locator('[data-testid=keyboard-wizard] [data-code="600519.SH"]')
    await item.waitFor()
    await item.click()
    await page.waitForURL(/\/stock\/600519\.SH/)
    await page.locator('[data-testid=stock-code]', { hasText: '600519.SH' }).waitFor()
    const canvas = page.locator('[data-testid=kline-chart] canvas').first()
    await canvas.waitFor()
    await page.waitForTimeout(300)
    const painted = await canvas.evaluate((c) => {
      const ctx = c.getContext('2d')
      if (!c.width || !c.height || !ctx) return 0
      const d = ctx.getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++
      return n
    })
    assert(painted > 1000, `chart canvas is (nearly) empty: ${painted} painted pixels`)
  })

  const wfName = `e2e 工作流 ${Date.now()}`
  let wfId = ''
  await step('workflows: create through the form, it appears in the list', async () => {
    await page.goto(base + '/workflows')
    await page.locator('[data-testid=wf-table] .el-table__row').first().waitFor()
    await page.locator('[data-testid=wf-new]').click()
    await page.locator('[data-testid=wf-form]').waitFor()
    await page.locator('input[data-testid=wf-name]').fill(wfName)
    await page.locator('textarea[data-testid=wf-description]').fill('端到端测试创建')
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

  await step('workflows: the API’s 422 shows next to the field, in Chinese (undeclared placeholder)', async () => {
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
    const direct = await api('POST', '/api/workflows', payload)
    if (direct.status < 300 && direct.json?.id) created.push(direct.json.id)
    assert(direct.status === 422, `API answered ${direct.status} to an undeclared placeholder: ${direct.text.slice(0, 200)}`)
    const detail = (direct.json?.error?.details ?? [])[0]
    assert(detail && detail.message, `422 without details: ${direct.text.slice(0, 200)}`)

    await page.locator('[data-testid=wf-new]').click()
    await page.locator('[data-testid=wf-form]').waitFor()
    await page.locator('input[data-testid=wf-name]').fill(badName)
    await page.locator('textarea[data-testid=wf-user-prompt]').fill(payload.user_prompt_template)
    await page.locator('[data-testid=placeholder-warning]').waitFor()
    await page.locator('[data-testid=wf-save]').click()
    const err = page.locator(`[data-testid="${fieldTestId(detail.field)}"] .el-form-item__error`).first()
    await err.waitFor()
    const text = (await err.innerText()).trim()
    // The API said "placeholder {{undeclared}} is not a declared variable"; the UI says it in Chinese.
    assert(text.includes('{{undeclared}}') && text.includes('未声明'), `field ${detail.field} shows "${text}" for "${detail.message}"`)
    console.log(`  ${detail.field}: ${detail.message} → ${text}`)
    await expectNoEnglish(page, 'editor with a 422')
    await page.locator('.el-drawer__close-btn').click()
    await page.locator('[data-testid=wf-form]').waitFor({ state: 'detached' })
  })

  await step('workflows: a duplicate variable name gets its message on the variable row', async () => {
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
    assert(text.includes('重复'), `no duplicate message on the variables: "${text}"`)
    const list = await api('GET', '/api/workflows?include_templates=true')
    assert(!(list.json?.workflows ?? []).some((x) => x.name === badName), 'invalid workflow was stored')
    await page.locator('.el-drawer__close-btn').click()
    await page.locator('[data-testid=wf-form]').waitFor({ state: 'detached' })
  })

  await step('workflows: later writes reuse the stored token (no second dialog)', async () => {
    assert((await page.locator('.token-dialog').filter({ visible: true }).count()) === 0, 'token dialog is open again')
    if (apiToken) {
      const stored = await page.evaluate(() => localStorage.getItem('stockd.apiToken'))
      assert(stored === apiToken, `stored token changed to ${stored}`)
    }
  })

  await step('workflows: delete with confirmation removes it from the list', async () => {
    const row = page.locator('[data-testid=wf-table] .el-table__row', { has: page.locator(`[data-wf-name="${wfName}"]`) })
    await row.waitFor()
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

  // Workflow runs against the fake model (fakellm): it calls get_stock_basic for the code in the prompt,
  // then streams a markdown report of the tool's answer, with hostile HTML and script at its end.
  const singleStock = 'tpl-single-stock-analysis'
  async function openRunPanel(name) {
    await page.goto(base + '/workflows')
    const row = page.locator('[data-testid=wf-table] .el-table__row', { has: page.locator(`[data-wf-name="${name}"]`) })
    await row.locator('[data-testid=wf-run]').filter({ visible: true }).first().click()
    await page.locator('[data-testid=run-panel]').waitFor()
  }
  
  await step('run: 单股深度分析 of 600519.SH streams its answer as markdown, shows the tool step, lands in the history', async () => {
    assert(process.env.E2E_FAKE_MODEL, 'the server runs without a model (E2E_FAKE_MODEL unset)')
    await openRunPanel('单股深度分析')
    const code = page.locator('[data-testid=run-var-stock_code] input')
    assert((await code.inputValue()) === '600519.SH', `stock_code starts as "${await code.inputValue()}", want the default 600519.SH`)
    await page.locator('[data-testid=run-start]').click()
    // Streamed: text is on the page while the run is still running.
    await page.waitForFunction(() => {
      const a = document.querySelector('[data-testid=run-live] [data-testid=run-answer]')
      const s = document.querySelector('[data-testid=run-live] [data-testid=run-status]')
      return a && a.textContent.includes('贵州茅台') && s && s.textContent.includes('运行中')
    }, null, { timeout: 30000 })
    await page.locator('[data-testid=run-live] [data-testid=run-status]', { hasText: '已完成' }).waitFor({ timeout: 30000 })
    const answer = page.locator('[data-testid=run-live] [data-testid=run-answer]')
    const text = await answer.innerText()
    assert(text.includes('贵州茅台') && text.includes('1431'), `the answer lacks the tool's data: ${text.slice(0, 300)}`)
    assert((await answer.locator('strong').count()) > 0 && (await answer.locator('table').count()) === 1, 'the markdown was not rendered')
    // The hostile end of the answer is text: no element, no handler ran, no javascript: link.
    assert(text.includes('<img src=x onerror='), 'the hostile markup is not shown as text')
    assert((await answer.locator('img, script, iframe, svg').count()) === 0, 'model output created elements')
    assert((await answer.locator('a[href^="javascript"]').count()) === 0, 'model output created a javascript: link')
    assert((await page.evaluate(() => window.__pwned)) === undefined, 'model output ran script')
    // The tool step: collapsible, with its arguments and timing.
    const stepItem = page.locator('[data-testid=run-live] [data-testid=run-step-get_stock_basic]')
    await stepItem.waitFor()
    assert((await stepItem.innerText()).includes('个股基本信息') && (await stepItem.innerText()).includes('毫秒'), 'tool step without name or timing')
    await stepItem.locator('.el-collapse-item__header').click()
    await stepItem.locator('[data-testid=run-step-args]', { hasText: '600519.SH' }).waitFor()
    assert((await page.locator('[data-testid=run-live] [data-testid=run-usage]').innerText()).includes('Token'), 'no token usage')
    // Stored, and listed in the history tab.
    const runs = await api('GET', `/api/workflows/${singleStock}/runs`)
    const last = runs.json?.runs?.[0]
    assert(last && last.status === 'succeeded', `newest stored run: ${runs.text.slice(0, 200)}`)
    const stored = await api('GET', `/api/runs/${last.id}`)
    assert(stored.json?.output?.includes('1431') && stored.json.usage.input_tokens > 0, 'stored run lacks output or usage')
    await page.locator('[data-testid=run-panel] .el-tabs__item', { hasText: '历史记录' }).click()
    const item = page.locator(`[data-testid=run-history-item][data-run-id="${last.id}"]`)
    await item.waitFor()
    assert((await item.innerText()).includes('已完成'), 'history entry without its status')
    await item.locator('[data-testid=run-history-view]').click()
    await page.locator('[data-testid=run-history-run] [data-testid=run-answer]', { hasText: '1431' }).waitFor()
    // The page around the answer is Chinese; the answer is whatever the model wrote (here, markup).
    await page.evaluate(() => document.querySelectorAll('[data-testid=run-answer]').forEach((e) => (e.style.display = 'none')))
    await expectNoEnglish(page, 'a finished run and its history')
    await page.evaluate(() => document.querySelectorAll('[data-testid=run-answer]').forEach((e) => (e.style.display = '')))
  })

  await step('run: 停止 cancels a run mid-stream; it is stored as canceled', async () => {
    await openRunPanel('单股深度分析')
    await page.locator('[data-testid=run-start]').click()
    await page.locator('[data-testid=run-live] [data-testid=run-answer]').waitFor({ timeout: 30000 })
    await page.locator('[data-testid=run-stop]').click()
    await page.locator('[data-testid=run-live] [data-testid=run-status]', { hasText: '已停止' }).waitFor({ timeout: 15000 })
    const runs = await api('GET', `/api/workflows/${singleStock}/runs`)
    assert(runs.json?.runs?.[0]?.status === 'canceled', `newest run is ${runs.json?.runs?.[0]?.status}, want canceled`)
  })

  await step('run: a code the store lacks gets its message under the field, in Chinese; nothing runs', async () => {
    await openRunPanel('单股深度分析')
    const before = (await api('GET', `/api/workflows/${singleStock}/runs`)).json.total
    const code = page.locator('[data-testid=run-var-stock_code] input')
    await code.fill('999999.SH')
    await page.keyboard.press('Tab') // leaves the search box (Escape would close the drawer)
    await page.locator('[data-testid=run-start]').click()
    await page.locator('[data-testid=run-var-stock_code]', { hasText: '没有代码为 999999.SH 的股票或 ETF' }).waitFor()
    assert((await api('GET', `/api/workflows/${singleStock}/runs`)).json.total === before, 'a refused run was stored')
    await expectNoEnglish(page, 'run form with an invalid variable')
  })

  await step('run: on a phone the run drawer fills the screen without overflow', async () => {
    await page.setViewportSize(PHONE)
    try {
      await page.goto(base + '/workflows')
      await page.locator('[data-testid=wf-run]').filter({ visible: true }).first().click()
      await page.locator('[data-testid=run-panel]').waitFor()
      await noHorizontalOverflow(page, 'run drawer on a phone')
      await fullyVisible(page.locator('[data-testid=run-start]'), '运行 on a phone')
    } finally {
      await page.setViewportSize(DESKTOP)
    }
  })

  await step('AI 生成: the model’s draft fills the editor; nothing is saved until 保存', async () => {
    await page.goto(base + '/workflows')
    await page.locator('[data-testid=wf-generate]').click()
    await page.locator('textarea[data-testid=gen-text]').fill('看茅台的估值')
    await page.locator('[data-testid=gen-submit]').click()
    await page.locator('[data-testid=wf-form]').waitFor()
    const name = await page.locator('input[data-testid=wf-name]').inputValue()
    assert(name === 'AI：看茅台的估值', `the editor's name is "${name}"`)
    assert((await page.locator('textarea[data-testid=wf-user-prompt]').inputValue()).includes('{{stock_code}}'), 'prompt not filled')
    const list = await api('GET', '/api/workflows?include_templates=false')
    assert(!(list.json?.workflows ?? []).some((w) => w.name === name), 'the draft was saved before 保存')
    await page.locator('.el-drawer__close-btn').filter({ visible: true }).first().click()
  })

  await step('status: health page shows the overall state and services in words', async () => {
    await page.goto(base + '/status')
    const tag = page.locator('[data-testid=health-status]')
    await tag.waitFor()
    const text = (await tag.innerText()).trim()
    assert(['健康', '降级', '不可用'].includes(text), `unexpected health status "${text}"`)
    await page.locator('[data-testid^=service-]').first().waitFor()
    const body = await page.locator('main').innerText()
    assert(!/latency_ms|HTTP \d/.test(body), 'raw field names or HTTP codes on the status page')
    assert(body.includes('延迟'), 'latency not shown in words')
  })

  await step('Chinese UI on the real snapshot: no English sentence on any page or error state', async () => {
    const visits = [
      ['overview', '/', '[data-testid=hot-stocks] .el-table__row'],
      ['overview 跌幅榜', '/?rank=loss&erank=gain', '[data-testid=hot-stocks] .el-table[data-sort=loss], [data-testid=loss-unsupported]'],
      ['overview, a day without ETF data', '/', '[data-testid=hot-etfs] [data-testid=no-data]'],
      ['overview, a day not in the store', '/?date=2025-12-20', '[data-testid=market-stats] [data-testid=no-data]'],
      ['stock', '/stock/600519.SH', '[data-testid=quote-panel]'],
      ['stock 周K', '/stock/600519.SH?period=week', '[data-testid=kline-chart], [data-testid=error-state], [data-testid=no-data]'],
      ['stock 月K 全部', '/stock/600519.SH?period=month&range=all', '[data-testid=kline-chart], [data-testid=error-state], [data-testid=no-data]'],
      ['stock, unknown code', '/stock/999999.SH', '[data-testid=error-state]'],
      ['stock, malformed code', '/stock/abc', '[data-testid=error-state]'],
      ['stock, nothing picked', '/stock', '.el-empty'],
      ['watchlist, empty', '/watchlist', '[data-testid=watch-empty]'],
      ['workflows', '/workflows', '[data-testid=wf-table] .el-table__row'],
      ['status', '/status', '[data-testid=health-status]'],
    ]
    for (const [label, path, ready] of visits) {
      await page.goto(base + path)
      await page.locator(ready).first().waitFor()
      await page.waitForTimeout(150)
      await expectNoEnglish(page, label)
    }
    // Error texts are the mapped ones.
    await page.goto(base + '/stock/999999.SH')
    const msg = await page.locator('[data-testid=stock-basic] [data-testid=error-state]').innerText()
    assert(msg.includes('没有代码为 999999.SH 的股票或 ETF'), `unknown code says "${msg}"`)
    await page.goto(base + '/stock/abc')
    assert((await page.locator('[data-testid=stock-basic] [data-testid=error-state]').innerText()).includes('代码格式不正确'), 'malformed code message')
    // A watchlist with an unknown code, a template in the editor with the tool list open, the 键盘精灵.
    await page.evaluate(() => localStorage.setItem('stockd.watchlist', JSON.stringify(['600519.SH', '999999.SH'])))
    await page.goto(base + '/watchlist')
    await page.locator('[data-testid=watch-table] .el-table__row').nth(1).waitFor()
    await page.locator('[data-testid=watch-table]', { hasText: '代码不存在' }).waitFor()
    await expectNoEnglish(page, 'watchlist with an unknown code')
    await page.evaluate(() => localStorage.removeItem('stockd.watchlist'))
    await page.goto(base + '/workflows')
    await page.locator('[data-testid=wf-table] .el-table__row').first().waitFor()
    await page.locator('[data-testid=wf-edit]').filter({ visible: true }).first().click()
    await page.locator('[data-testid=wf-form]').waitFor()
    await expectNoEnglish(page, 'template in the editor')
    await page.locator('.el-drawer__close-btn').click()
    await page.locator('[data-testid=wf-new]').click()
    await page.locator('[data-testid=wf-tools]').click()
    await page.locator('.el-select__popper.tool-popper').filter({ visible: true }).waitFor()
    await expectNoEnglish(page, 'tool list')
    await page.keyboard.press('Escape')
    await page.locator('.el-drawer__close-btn').click()
    await page.locator('[data-testid=wf-form]').waitFor({ state: 'detached' })
    await page.locator('body').click({ position: { x: 5, y: 300 } })
    await page.keyboard.type('zzzz')
    await page.locator('[data-testid=keyboard-wizard]', { hasText: '没有匹配的证券' }).waitFor()
    await expectNoEnglish(page, '键盘精灵 without a match')
    await page.keyboard.press('Escape')
  })

  await step('language switch: English labels and messages, then back to Chinese', async () => {
    await page.goto(base + '/stock/999999.SH')
    await page.locator('[data-testid=lang-switch]').click()
    try {
      await page.locator('[data-testid=nav-status]', { hasText: 'Status' }).waitFor()
      await page.locator('[data-testid=stock-basic] [data-testid=error-state]', { hasText: 'No stock or ETF with code 999999.SH' }).waitFor()
      await page.locator('[data-testid=quote-panel], [data-testid=stock-basic]').first().waitFor()
    } finally {
      await page.locator('[data-testid=lang-switch]').click()
      await page.locator('[data-testid=nav-status]', { hasText: '系统状态' }).waitFor()
    }
  })

  await step('assets are sent compressed when the browser accepts it (br, gzip)', async () => {
    const html = await (await fetch(base + '/')).text()
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    assert(js, 'no script in index.html')
    for (const enc of ['br', 'gzip']) {
      const res = await fetch(base + js, { headers: { 'Accept-Encoding': enc } })
      await res.arrayBuffer()
      assert(res.headers.get('content-encoding') === enc, `${js} with Accept-Encoding ${enc}: Content-Encoding ${res.headers.get('content-encoding')}`)
    }
    const plain = await fetch(base + js, { headers: { 'Accept-Encoding': 'identity' } })
    const body = await plain.text()
    assert(!plain.headers.get('content-encoding') && body.length > 1000, 'identity request did not get the plain file')
  })

  // ======== layout at phone and desktop width, every page ========

  demo = await demoServer()
  const demoCode = (await api('GET', '/api/overview/hot-stocks?limit=1', undefined, demo.url)).json.data[0].ts_code
  console.log(`  demo market at ${demo.url}, busiest stock ${demoCode}`)

  for (const [vpName, vp] of [
    ['phone 390×844', PHONE],
    ['desktop 1400×1000', DESKTOP],
  ]) {
    await step(`layout ${vpName}: every page fits the width; price and 涨跌幅 in view; editor save reachable`, async () => {
      await page.setViewportSize(vp)
      const phone = vp.width < 768
      for (const [b, label] of [
        [base, 'snapshot'],
        [demo.url, 'demo'],
      ]) {
        await page.goto(b + '/')
        const watched = label === 'demo' ? [demoCode] : ['600519.SH']
        await page.evaluate((c) => localStorage.setItem('stockd.watchlist', JSON.stringify(c)), watched)
        await page.locator('[data-testid=hot-stocks] .el-table__row').first().waitFor()
        await noHorizontalOverflow(page, `${label} overview`)
        const row = page.locator('[data-testid=hot-stocks] .el-table__body-wrapper .el-table__row').first()
        await fullyVisible(row.locator('.col-close .num'), `${label} overview 最新价`)
        await fullyVisible(row.locator('.col-pct .num'), `${label} overview 涨跌幅`)
        await numbersUnbroken(page, '[data-testid=hot-stocks], [data-testid=hot-etfs], [data-testid=market-stats]', `${label} overview`)
        if (label === 'demo') {
          const erow = page.locator('[data-testid=hot-etfs] .el-table__body-wrapper .el-table__row').first()
          await erow.waitFor()
          await fullyVisible(erow.locator('.col-pct .num'), 'ETF 涨跌幅')
          // Every ETF column header is visible: no column cut off by the card.
          for (const th of await page.locator('[data-testid=hot-etfs] .el-table__header th').all()) await fullyVisible(th, 'ETF header')
        }
        if (phone) {
          // The menu collapses behind one button.
          assert(!(await page.locator('[data-testid=nav-workflows]').isVisible()), 'menu items shown on the phone bar')
          await page.locator('[data-testid=nav-toggle]').click()
          await page.locator('[data-testid=nav-workflows]').click()
          await page.waitForURL(/\/workflows/)
        }

        await page.goto(b + '/watchlist')
        await page.locator('[data-testid=watch-table] .el-table__body-wrapper .el-table__row .col-close .num', { hasText: /\d/ }).first().waitFor()
        await noHorizontalOverflow(page, `${label} watchlist`)
        const wrow = page.locator('[data-testid=watch-table] .el-table__body-wrapper .el-table__row').first()
        await fullyVisible(wrow.locator('.col-close .num'), `${label} watchlist 最新价`)
        await fullyVisible(wrow.locator('.col-pct .num'), `${label} watchlist 涨跌幅`)

        const code = label === 'demo' ? demoCode : '600519.SH'
        await page.goto(b + `/stock/${code}`)
        await page.locator('[data-testid=quote-panel]').waitFor()
        await page.locator('[data-testid=kline-chart] canvas').first().waitFor()
        await noHorizontalOverflow(page, `${label} stock`)
        await fullyVisible(page.locator('[data-testid=stock-quote]'), `${label} stock price`)
        await numbersUnbroken(page, '[data-testid=quote-panel]', `${label} quote panel`)
        // Labels of the detail list never wrap one character a line.
        const narrow = await page.evaluate(() =>
          [...document.querySelectorAll('.fields dt, .quote-panel .k')].filter((el) => el.getClientRects().length > 1 || el.offsetHeight > 30).map((el) => el.textContent),
        )
        assert(!narrow.length, `${label} stock labels wrap: ${narrow.join(', ')}`)

        await page.goto(b + '/workflows')
        await page.locator('[data-testid=wf-table] .el-table__row').first().waitFor()
        await noHorizontalOverflow(page, `${label} workflows`)
        // The list shows more than names and actions: category and counts of each workflow.
        const first = await page.locator('[data-testid=wf-table] .el-table__row').first().innerText()
        assert(/个股分析|选股|技术面|市场|自定义/.test(first), `${label} workflow list row lacks the category: "${first}"`)
        await page.locator('[data-testid=wf-new]').click()
        await page.locator('[data-testid=wf-form]').waitFor()
        await page.locator('[data-testid=wf-add-var]').click()
        await noHorizontalOverflow(page, `${label} editor`)
        const save = page.locator('[data-testid=wf-save]')
        await fullyVisible(save, `${label} editor 保存`)
        const reachable = await save.evaluate((el) => {
          const r = el.getBoundingClientRect()
          const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
          return r.bottom <= window.innerHeight && r.top >= 0 && !!at && el.contains(at)
        })
        assert(reachable, `${label} editor: 保存 is not on screen or covered`)
        await page.locator('[data-testid=var-remove-0]').scrollIntoViewIfNeeded()
        await fullyVisible(page.locator('[data-testid=var-remove-0]'), `${label} editor ✕ of a variable`)
        // The tool list stays inside the editor.
        await page.locator('[data-testid=wf-tools]').click()
        const popper = page.locator('.el-select__popper.tool-popper').filter({ visible: true })
        await popper.waitFor()
        const [pb, db] = await Promise.all([popper.boundingBox(), page.locator('.el-drawer').boundingBox()])
        assert(pb.x >= db.x - 1 && pb.x + pb.width <= db.x + db.width + 1, `${label} tool list spills out of the editor: ${JSON.stringify(pb)} vs ${JSON.stringify(db)}`)
        await page.keyboard.press('Escape')
        await page.locator('.el-drawer__close-btn').click()
        await page.locator('[data-testid=wf-form]').waitFor({ state: 'detached' })

        await page.goto(b + '/status')
        await page.locator('[data-testid^=service-]').first().waitFor()
        await noHorizontalOverflow(page, `${label} status`)
      }
      await page.evaluate(() => localStorage.removeItem('stockd.watchlist'))
    })
  }

  await step('layout 1024×800: the breadth figures and ETF volumes (万手) stay on one line', async () => {
    await page.setViewportSize(LAPTOP)
    await page.goto(demo.url + '/')
    await page.locator('[data-testid=hot-etfs] .el-table__row').first().waitFor()
    await noHorizontalOverflow(page, 'overview at 1024')
    await numbersUnbroken(page, '[data-testid=hot-stocks], [data-testid=hot-etfs], [data-testid=market-stats]', 'overview at 1024')
    await page.setViewportSize(DESKTOP)
  })

  // ======== the demo market: K-lines, ranges, watchlist, screenshots ========

  await step('周K and 月K from the API equal ISO-week and month aggregations of the daily bars', async () => {
    for (const adjust of ['none', 'qfq']) {
      const q = `start=2025-01-01&end=2025-12-18&adjust=${adjust}`
      const daily = await api('GET', `/api/stock/${demoCode}/daily?${q}`, undefined, demo.url)
      assert(daily.status === 200 && daily.json.data.length > 100, `daily: ${daily.status} ${daily.text.slice(0, 200)}`)
      for (const period of ['week', 'month']) {
        const k = await api('GET', `/api/stock/${demoCode}/kline?period=${period}&${q}`, undefined, demo.url)
        assert(k.status === 200, `kline ${period}: ${k.status} ${k.text.slice(0, 200)}`)
        const want = aggregate(daily.json.data, period)
        const got = k.json.data
        assert(got.length === want.length, `${period}/${adjust}: ${got.length} candles, expected ${want.length}`)
        for (let i = 0; i < want.length; i++) {
          const g = got[i]
          const w = want[i]
          assert(g.date === w.date, `${period}/${adjust} #${i}: dated ${g.date}, expected ${w.date}`)
          for (const f of ['open', 'high', 'low', 'close', 'vol', 'amount']) {
            assert(near(g[f], w[f], 1e-6), `${period}/${adjust} ${w.date} ${f}: ${g[f]} vs ${w[f]}`)
          }
          if (i > 0) assert(near(g.pre_close, w.pre_close, 1e-6), `${period}/${adjust} ${w.date} pre_close: ${g.pre_close} vs ${w.pre_close}`)
        }
        for (const f of ['ts_code', 'name', 'adjust', 'anchor_date', 'synthetic'])
          assert(JSON.stringify(k.json[f]) === JSON.stringify(daily.json[f]), `${period}: ${f} ${k.json[f]} vs daily ${daily.json[f]}`)
        console.log(`  ${period}/${adjust}: ${got.length} candles equal`)
      }
    }
  })

  await step('stock: 周K in the UI, 近3月 kept in the URL; MA20 is defined from the first visible bar', async () => {
    await page.goto(demo.url + `/stock/${demoCode}`)
    await page.locator('[data-testid=kline-chart]').waitFor()
    await page.locator('[data-testid=range-3m]').click()
    await page.waitForURL(/range=3m/)
    await page.locator('[data-testid=period-week]').click()
    await page.waitForURL(/period=week/)
    await page.reload()
    const chart = page.locator('[data-testid=kline-chart]')
    await chart.waitFor()
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid=kline-chart]')
      return el && Number(el.getAttribute('data-bars')) > 0 && Number(el.getAttribute('data-bars')) < 20
    })
    const first = await chart.getAttribute('data-first-date')
    const last = await chart.getAttribute('data-last-date')
    const ma20 = Number(await chart.getAttribute('data-ma20-first'))
    // Independently: weekly closes from the daily bars, MA20 at the first visible week.
    const daily = (await api('GET', `/api/stock/${demoCode}/daily?start=2024-06-01&adjust=qfq`, undefined, demo.url)).json.data
    const weeks = aggregate(daily, 'week')
    const i = weeks.findIndex((w) => w.date === first)
    assert(i >= 19, `first visible week ${first} has only ${i} weeks before it in the data`)
    const want = weeks.slice(i - 19, i + 1).reduce((s, w) => s + w.close, 0) / 20
    assert(Number.isFinite(ma20) && Math.abs(ma20 - want) < 1e-3, `MA20 on the first visible week: ${ma20}, expected ${want}`)
    assert(last === weeks[weeks.length - 1].date, `last week ${last}, expected ${weeks[weeks.length - 1].date}`)
    const latest = daily[daily.length - 1].date
    const [y, m, d] = latest.split('-').map(Number)
    const threeBefore = new Date(Date.UTC(y, m - 4, d)).toISOString().slice(0, 10)
    assert(first >= threeBefore, `近3月 starts at ${first}, before ${threeBefore}`)
    const active = await page.locator('[data-testid=quick-range] .is-active').innerText()
    assert(active.trim() === '近3月', `after reload the active range is "${active}"`)
    // A custom range: the date boxes stop at the last bar (no future day), the range goes to the URL.
    assert((await page.locator('[data-testid=range-end]').getAttribute('max')) === latest, 'the end box allows days after the last bar')
    assert((await page.locator('[data-testid=range-start]').getAttribute('max')) === latest, 'the start box allows days after the last bar')
    await page.locator('[data-testid=range-start]').fill('2025-06-02')
    await page.waitForURL(/start=2025-06-02/)
    await page.waitForFunction(
      () => document.querySelector('[data-testid=kline-chart]')?.getAttribute('data-first-date') >= '2025-06-02',
    )
    await page.locator('[data-testid=period-month]').click()
    await page.waitForURL(/period=month/)
    await page.locator('[data-testid=period-day]').click()
    await page.waitForFunction(() => !/period=/.test(location.search))
  })

  await step('自选股: 加自选 on the stock page, the watchlist table shows it and refreshes by itself', async () => {
    await page.goto(demo.url + `/stock/${demoCode}`)
    await page.locator('[data-testid=watch-toggle]').click()
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('stockd.watchlist') || '[]'))
    assert(stored.includes(demoCode), `watchlist in localStorage: ${JSON.stringify(stored)}`)
    await page.locator('[data-testid=nav-watchlist]').click()
    const row = page.locator('[data-testid=watch-table] .el-table__row', { hasText: demoCode })
    await row.waitFor()
    // The row comes from localStorage at once; its quote when /basic answers.
    const cell = row.locator('.col-close .num', { hasText: /\d/ })
    await cell.waitFor()
    const price = (await cell.innerText()).trim()
    const basic = (await api('GET', `/api/stock/${demoCode}/basic`, undefined, demo.url)).json
    assert(price === basic.close.toFixed(2), `watchlist price ${price}, API ${basic.close}`)
    // Live: the table asks again on its own (every 15 s) — seen as a new "updated" time.
    const stamp = page.locator('[data-testid=watch-updated]')
    const before = await stamp.innerText()
    await page.waitForFunction((b) => document.querySelector('[data-testid=watch-updated]').innerText !== b, before, { timeout: 25000 })
    // Sorting by 涨跌幅 is kept in the URL.
    await page.locator('[data-testid=watch-table] th.col-pct').click()
    await page.waitForURL(/sort=pct_chg/)
  })

  await step('screenshots of every page at desktop and phone width (demo market)', async () => {
    const watched = (await api('GET', '/api/overview/hot-stocks?sort_by=pct_chg&limit=6', undefined, demo.url)).json.data.map((r) => r.ts_code)
    await page.evaluate((c) => localStorage.setItem('stockd.watchlist', JSON.stringify(c)), watched)
    for (const [suffix, vp] of [
      ['', DESKTOP],
      ['-phone', PHONE],
    ]) {
      await page.setViewportSize(vp)
      const shots = [
        ['overview', '/', '[data-testid=hot-etfs] .el-table__row'],
        ['stock', `/stock/${demoCode}`, '[data-testid=kline-chart] canvas'],
        ['watchlist', '/watchlist', '[data-testid=watch-table] .el-table__row .col-close .num'],
        ['workflows', '/workflows', '[data-testid=wf-table] .el-table__row'],
        ['status', '/status', '[data-testid^=service-]'],
      ]
      for (const [name, path, ready] of shots) {
        await page.goto(demo.url + path)
        await page.locator(ready).first().waitFor()
        await page.waitForTimeout(400)
        await page.screenshot({ path: join(shotDir, `${name}${suffix}.png`) })
      }
    }
    await page.setViewportSize(DESKTOP)
  })

  // ======== the server goes away and comes back ========

  await step('offline: the server stops mid-session, the UI says so once, and recovers by itself without a reload', async () => {
    await page.goto(demo.url + '/status')
    await page.locator('[data-testid=health-status]').waitFor()
    await page.evaluate(() => (window.__sameDocument = true))
    await demo.stop()
    // A page whose code was never loaded: the click cannot work now.
    await page.locator('[data-testid=nav-overview]').click()
    const banner = page.locator('[data-testid=offline-banner]')
    await banner.waitFor()
    assert((await banner.innerText()).includes('无法连接服务器'), 'banner text')
    await expectNoEnglish(page, 'offline')
    await demo.start()
    // No click: the probe finds the server, the navigation the user asked for happens.
    await banner.waitFor({ state: 'detached', timeout: 30000 })
    await page.waitForURL((u) => new URL(u).pathname === '/', { timeout: 15000 })
    await page.locator('[data-testid=hot-stocks] .el-table__row').first().waitFor()
    // The date picker is usable again (not stuck on 没有可用的交易日).
    await page.waitForFunction(() => !document.querySelector('[data-testid=date-picker] input')?.disabled)
    assert(await page.locator('[data-testid=date-prev]').isEnabled(), '前一日 disabled after recovery')

    // Gone again while on the overview: loaders wait, one retry button in the whole page.
    await demo.stop()
    await page.locator('[data-testid=date-prev]').click()
    await banner.waitFor()
    await page.locator('[data-testid=waiting-server]').first().waitFor()
    const retries = await page.locator('button:visible', { hasText: /重试/ }).count()
    assert(retries === 1, `${retries} retry buttons on the page`)
    await page.locator('[data-testid=nav-workflows]').click()
    await demo.start()
    await page.locator('[data-testid=offline-retry]').click().catch(() => {})
    await banner.waitFor({ state: 'detached', timeout: 30000 })
    await page.waitForURL(/\/workflows/, { timeout: 15000 })
    await page.locator('[data-testid=wf-table] .el-table__row').first().waitFor()
    // The page came with its CSS (a failed stylesheet is fetched again, not skipped).
    const display = await page.locator('.wf-name').first().evaluate((el) => getComputedStyle(el).display)
    assert(display === 'flex', `workflow page without its CSS (display ${display})`)
    assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded')
  })

  await step('no uncaught errors in the page', async () => {
    assert(pageErrors.length === 0, `page errors:\n${pageErrors.join('\n')}`)
  })
} finally {
  for (const id of created) await api('DELETE', `/api/workflows/${encodeURIComponent(id)}`).catch(() => {})
  await browser.close()
  if (demo) await demo.close()
}

const failed = results.filter((r) => !r.ok)
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`)
console.log(`screenshots in ${shotDir}`)
process.exit(failed.length ? 1 : 0)
