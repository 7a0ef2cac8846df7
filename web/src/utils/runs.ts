// Words for a run's status and error codes.
import type { RunStatus } from '../api/types'
import { t, type MessageKey } from '../i18n'
import { isKnownCode } from '../errors'

export function runStatusLabel(s: RunStatus | 'starting'): string {
  return t(`run.status.${s}` as MessageKey)
}

export function runStatusType(s: RunStatus | 'starting'): 'success' | 'danger' | 'info' | 'primary' | 'warning' {
  switch (s) {
    case 'succeeded':
      return 'success'
    case 'failed':
      return 'danger'
    case 'canceled':
      return 'info'
    case 'running':
      return 'primary'
  }
  return 'warning'
}

/** A run's error code (RunError.code, the error event's) in the UI's language. */
export function runErrorText(code: string): string {
  return isKnownCode(code) ? t(`err.${code}` as MessageKey) : t('run.failed')
}
