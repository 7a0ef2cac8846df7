import { watchEffect } from 'vue'
import { lang, translate } from '../i18n'

/** Sets document.title to "part · part · app name" while the calling component lives. */
export function useTitle(parts: () => (string | null | undefined)[]) {
  watchEffect(() => {
    const app = translate(lang.value, 'app.title')
    document.title = [...parts().filter((p): p is string => !!p), app].join(' · ')
  })
}
