// One ECharts instance on an element: created when the component mounts (setup may bind events), drawn
// by render, resized with its element, drawn again when the language or the phone layout changes, and
// disposed with the component. The chart modules are registered by the component that uses it.
import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref } from 'vue'
import { init, type EChartsType } from 'echarts/core'
import { lang } from '../i18n'
import { isPhone } from './media'

export function useChart(el: Ref<HTMLElement | null>, render: () => void, setup?: (chart: EChartsType) => void) {
  const chart = shallowRef<EChartsType | null>(null)
  let ro: ResizeObserver | null = null
  onMounted(() => {
    if (!el.value) return
    chart.value = init(el.value)
    setup?.(chart.value)
    render()
    ro = new ResizeObserver(() => chart.value?.resize())
    ro.observe(el.value)
  })
  watch([lang, isPhone], render)
  onBeforeUnmount(() => {
    ro?.disconnect()
    chart.value?.dispose()
  })
  return chart
}
