import { ref, shallowRef } from 'vue'
import { ApiError } from '../api/client'

/** Loading / error / data state for one request; answers of superseded calls are dropped. */
export function useLoader<T, A extends unknown[] = []>(fn: (...args: A) => Promise<T>) {
  const data = shallowRef<T | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** The API's error code (e.g. "no_data", "not_found"), or null. */
  const errorCode = ref<string | null>(null)
  let seq = 0

  async function run(...args: A): Promise<T | null> {
    const my = ++seq
    loading.value = true
    error.value = null
    errorCode.value = null
    try {
      const v = await fn(...args)
      if (my === seq) data.value = v
      return v
    } catch (e) {
      if (my === seq) {
        error.value = errorMessage(e)
        errorCode.value = e instanceof ApiError ? e.code : null
        data.value = null
      }
      return null
    } finally {
      if (my === seq) loading.value = false
    }
  }

  return { data, loading, error, errorCode, run }
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error) return e.message
  return String(e)
}
