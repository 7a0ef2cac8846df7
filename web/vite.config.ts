import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { defineConfig, loadEnv, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The API docs page served by stockd at /docs: Swagger UI from the swagger-ui-dist package, copied
// into dist/docs by the build (no CDN), rendering the server's own /openapi.json. The online
// validator badge is off: the page makes no request outside this server.
function apiDocs(): Plugin {
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  const copied = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png', 'LICENSE', 'NOTICE']
  const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Stock Datasource API</title>
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`
  const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
})
`
  return {
    name: 'stockd-api-docs',
    apply: 'build',
    generateBundle() {
      for (const f of copied) {
        this.emitFile({ type: 'asset', fileName: `docs/${f}`, source: readFileSync(join(dist, f)) })
      }
      this.emitFile({ type: 'asset', fileName: 'docs/index.html', source: page })
      this.emitFile({ type: 'asset', fileName: 'docs/init.js', source: init })
    },
  }
}

// The dev server proxies API calls to the backend; the app itself only uses relative URLs.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), '')
  const target = process.env.VITE_API_TARGET || env.VITE_API_TARGET || 'http://127.0.0.1:8000'
  return {
    plugins: [
      vue(),
      apiDocs(),
      AutoImport({
        resolvers: [ElementPlusResolver()],
        dts: 'src/auto-imports.d.ts',
      }),
      Components({
        resolvers: [ElementPlusResolver()],
        dts: 'src/components.d.ts',
      }),
    ],
    server: {
      port: 3001,
      strictPort: true,
      host: true,
      proxy: {
        '/api': { target, changeOrigin: true },
        '/health': { target, changeOrigin: true },
        '/openapi.json': { target, changeOrigin: true },
      },
    },
    preview: { port: 3001 },
    build: {
      manifest: true,
      chunkSizeWarningLimit: 700,
    },
  }
})
