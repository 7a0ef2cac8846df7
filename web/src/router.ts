import { createRouter, createWebHistory } from 'vue-router'

// Every page is its own chunk.
export const routes = [
  { path: '/', name: 'overview', component: () => import('./views/OverviewView.vue') },
  { path: '/stock/:code?', name: 'stock', component: () => import('./views/StockView.vue') },
  { path: '/workflows', name: 'workflows', component: () => import('./views/WorkflowsView.vue') },
  { path: '/status', name: 'status', component: () => import('./views/StatusView.vue') },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
})
