import { ref } from 'vue'

/** Phone width (below 768 px): views switch to their compact layout. */
export const PHONE_QUERY = '(max-width: 767px)'

function watchMedia(query: string) {
  const r = ref(false)
  if (typeof window !== 'undefined' && window.matchMedia) {
    const m = window.matchMedia(query)
    r.value = m.matches
    m.addEventListener('change', (e) => (r.value = e.matches))
  }
  return r
}

export const isPhone = watchMedia(PHONE_QUERY)
