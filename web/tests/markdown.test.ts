import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../src/utils/markdown'

// Every tag the renderer may write, and the attributes each may carry.
const ALLOWED: Record<string, string[]> = {
  p: [], br: [], strong: [], em: [], del: [], code: [], pre: [], blockquote: [], hr: [], ul: [], ol: [], li: [],
  h3: [], h4: [], h5: [], h6: [], table: [], thead: [], tbody: [], tr: [], th: ['align'], td: ['align'],
  a: ['href', 'target', 'rel'],
}

/** Checks that html holds only allowed tags and attributes, and links only to http(s) or mailto. */
function expectSafe(html: string) {
  for (const m of html.matchAll(/<\/?([a-zA-Z0-9]+)([^>]*)>/g)) {
    const tag = m[1].toLowerCase()
    expect(Object.keys(ALLOWED), `tag <${tag}> in ${html}`).toContain(tag)
    for (const a of m[2].matchAll(/([a-zA-Z-]+)="([^"]*)"/g)) {
      expect(ALLOWED[tag], `attribute ${a[1]} on <${tag}>`).toContain(a[1])
      if (a[1] === 'href') expect(a[2]).toMatch(/^(https?:\/\/|mailto:)/i)
    }
    // Nothing but name="value" pairs inside a tag: no bare handlers, no unquoted values.
    expect(m[2].replace(/\s*[a-zA-Z-]+="[^"]*"/g, '').trim(), `stray text in <${tag}${m[2]}>`).toBe('')
  }
  expect(html).not.toMatch(/<script|<img|<iframe|<svg|<style/i)
}

describe('renderMarkdown', () => {
  it('renders the markdown models write in reports', () => {
    const html = renderMarkdown(
      '## 贵州茅台\n\n最新收盘价 **1431** 元，*跌* 0.15%。\n\n- 行业：白酒\n- 代码：`600519.SH`\n\n1. 一\n2. 二\n\n' +
        '| 指标 | 数值 |\n| --- | ---: |\n| PE | 20.1 |\n\n> 风险提示\n\n---\n\n```\nclose = 1431\n```\n[来源](https://tushare.pro/document?a=1&b=2)',
    )
    expect(html).toContain('<h4>贵州茅台</h4>')
    expect(html).toContain('<strong>1431</strong>')
    expect(html).toContain('<em>跌</em>')
    expect(html).toContain('<ul><li>行业：白酒</li><li>代码：<code>600519.SH</code></li></ul>')
    expect(html).toContain('<ol><li>一</li><li>二</li></ol>')
    expect(html).toContain('<table><thead><tr><th>指标</th><th align="right">数值</th></tr></thead><tbody><tr><td>PE</td><td align="right">20.1</td></tr></tbody></table>')
    expect(html).toContain('<blockquote>风险提示</blockquote>')
    expect(html).toContain('<hr>')
    expect(html).toContain('<pre><code>close = 1431</code></pre>')
    expect(html).toContain('<a href="https://tushare.pro/document?a=1&amp;b=2" target="_blank" rel="noopener noreferrer nofollow">来源</a>')
    expectSafe(html)
  })

  it('never lets model output add markup, handlers or script: everything it writes is text', () => {
    const hostile = [
      '<script>window.__pwned=1</script>',
      '<img src=x onerror="window.__pwned=1">',
      '<a href="javascript:alert(1)">x</a>',
      '[点我](javascript:alert(1))',
      '[点我](JaVaScRiPt:alert(1))',
      '[x](data:text/html;base64,PHNjcmlwdD4=)',
      '[x](https://ok.example/" onmouseover="alert(1))',
      '[x](https://ok.example/"onmouseover="alert(1))',
      '**<svg onload=alert(1)>**',
      '`<iframe src=//evil>`',
      '| a | b |\n| --- | --- |\n| <style>body{}</style> | x" onclick="y |',
      '```\n</code></pre><script>alert(1)</script>\n```',
      '> <b onclick=alert(1)>quote</b>',
      '# <h1>title</h1>',
      '\u00000\u0000 <x>',
      '<<script>script>alert(1)<</script>/script>',
    ]
    for (const h of hostile) {
      const html = renderMarkdown(h)
      expectSafe(html)
    }
    // The text survives, escaped, so the user still sees what the model said.
    expect(renderMarkdown('<script>window.__pwned=1</script>')).toBe('<p>&lt;script&gt;window.__pwned=1&lt;/script&gt;</p>')
    expect(renderMarkdown('[点我](javascript:alert(1))')).toBe('<p>[点我](javascript:alert(1))</p>')
    expect(renderMarkdown('[点我](javascript:void0) [好](mailto:a@b.cn)')).toBe(
      '<p>点我 <a href="mailto:a@b.cn" target="_blank" rel="noopener noreferrer nofollow">好</a></p>',
    )
  })

  it('renders half a stream without breaking: an open fence or table', () => {
    expectSafe(renderMarkdown('结论：\n```\nopen fence'))
    expect(renderMarkdown('结论：\n```\nopen fence')).toContain('<pre><code>open fence</code></pre>')
    expectSafe(renderMarkdown('| a | b |\n| --- |'))
    expect(renderMarkdown('')).toBe('')
  })
})
