import { reactive } from 'vue'

// The API client asks for a token through this; App.vue renders the dialog.
export const tokenPrompt = reactive({
  visible: false,
  rejected: false,
  resolve: null as ((t: string | null) => void) | null,
})

export function requestToken(rejected: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    tokenPrompt.rejected = rejected
    tokenPrompt.resolve = resolve
    tokenPrompt.visible = true
  })
}

export function answerToken(token: string | null) {
  const r = tokenPrompt.resolve
  tokenPrompt.resolve = null
  tokenPrompt.visible = false
  r?.(token && token.trim() ? token.trim() : null)
}
