// Lets any page open the 键盘精灵 (rendered once, by App.vue) with some text already typed.
type Opener = (initial: string) => void
let opener: Opener | null = null

export function registerWizard(fn: Opener | null) {
  opener = fn
}

export function openWizard(initial = '') {
  opener?.(initial)
}
