import { computed, getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue'
import { onReconnect } from '../connectivity'
import { errorCode, errorText } from '../errors'

/**
 * Loading / error / data state for one request; answers of superseded calls are dropped. A call that
 * failed because the server was away runs again by itself when it is back.
 */
export function useLoader<T, A extends unknown[] = []>(
  fn: (...args: A) => Promise<T>,
  overrides: () => Partial<Record<string, string>> = () => ({}),
) {
  const data = shallowRef<T | null>(null)
  const loading = ref(false)
  const failure = shallowRef<unknown>(null)
  /** The API's error code (e.g. "no_data", "not_found", "network_error"), or null. */
  const errorCodeRef = ref<string | null>(null)
  /** The failure as a sentence of the UI's language (follows the language switch). */
  const error = computed(() => (failure.value === null ? null : errorText(failure.value, overrides())))
  let seq = 0
  let lastArgs: A | null = null

  async function run(...args: A): Promise<T | null> {
    const my = ++seq
    lastArgs = args
    loading.value = true
    failure.value = null
    errorCodeRef.value = null
    try {
      const v = await fn(...args)
      if (my === seq) data.value = v
      return v
    } catch (e) {
      if (my === seq) {
        failure.value = e
        errorCodeRef.value = errorCode(e)
        data.value = null
      }
      return null
    } finally {
      if (my === seq) loading.value = false
    }
  }

  if (getCurrentScope()) {
    const off = onReconnect(() => {
      if (errorCodeRef.value === 'network_error' && lastArgs) void run(...lastArgs)
    })
    onScopeDispose(off)
  }

  return { data, loading, error, errorCode: errorCodeRef, failure, run }
}
