import { describe, expect, it } from 'vitest'
import { translate } from '../src/i18n'
import { answerToken, requestToken, tokenPrompt } from '../src/tokenPrompt'

describe('i18n', () => {
  it('defaults to Chinese wording and substitutes parameters', () => {
    expect(translate('zh', 'nav.overview')).toBe('市场概览')
    expect(translate('en', 'nav.overview')).toBe('Overview')
    expect(translate('en', 'wf.total', { n: 3 })).toBe('3 in total')
    expect(translate('zh', 'wf.deleteConfirm', { name: 'abc' })).toContain('「abc」')
  })
  it('labels synthetic data in both languages', () => {
    expect(translate('zh', 'common.synthetic')).toContain('演示数据')
    expect(translate('en', 'common.synthetic')).toMatch(/synthetic/i)
  })
})

describe('token prompt', () => {
  it('opens the dialog and resolves with the trimmed token', async () => {
    const p = requestToken(true)
    expect(tokenPrompt.visible).toBe(true)
    expect(tokenPrompt.rejected).toBe(true)
    answerToken('  abc  ')
    await expect(p).resolves.toBe('abc')
    expect(tokenPrompt.visible).toBe(false)
  })
  it('resolves null on cancel or empty input', async () => {
    const p = requestToken(false)
    answerToken('   ')
    await expect(p).resolves.toBeNull()
  })
})
