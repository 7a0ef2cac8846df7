import { defineConfig, loadEnv, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib'

/**
 * Writes X.gz and X.br beside every compressible file of the build, for `stockd serve` and nginx
 * (gzip_static) to send when the browser accepts them. Runs last, so files other plugins copy into
 * the output are compressed too. A copy that saves less than 5% is not written.
 */
export function precompress(exts = ['.js', '.mjs', '.css', '.html', '.svg', '.json', '.map', '.txt']): Plugin {
  let outDir = 'dist'
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name)
      return statSync(p).isDirectory() ? walk(p) : [p]
    })
  return {
    name: 'stockd:precompress',
    apply: 'build',
    enforce: 'post',
    configResolved(c) {
      outDir = c.build.outDir
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        for (const file of walk(outDir)) {
          if (!exts.some((e) => file.endsWith(e)) || file.includes('/.vite/')) continue
          const raw = readFileSync(file)
          if (raw.length < 256) continue
          const gz = gzipSync(raw, { level: 9 })
          const br = brotliCompressSync(raw, {
            params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length },
          })
          if (gz.length < raw.length * 0.95) writeFileSync(file + '.gz', gz)
          if (br.length < raw.length * 0.95) writeFileSync(file + '.br', br)
        }
      },
    },
  }
}

/**
 * A page opened directly on a route that needs a big lazy chunk (the stock page needs ECharts) starts
 * fetching that chunk from index.html, in parallel with the app's entry, instead of after the entry
 * and the page's own chunk ran. The chunk's hashed name is only known once bundled, so the small
 * inline script is written here.
 */
export function routePreload(routes: { prefix: string; module: string }[]): Plugin {
  return {
    name: 'stockd:route-preload',
    apply: 'build',
    enforce: 'post',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        if (!ctx.bundle) return html
        const pairs: [string, string][] = []
        for (const r of routes) {
          const chunk = Object.values(ctx.bundle).find(
            (c) => c.type === 'chunk' && !!c.facadeModuleId && c.facadeModuleId.endsWith(r.module),
          )
          if (chunk) pairs.push([r.prefix, '/' + chunk.fileName])
        }
        if (!pairs.length) return html
        const script =
          `<script>(function(p){for(var i=0;i<p.length;i++)if(location.pathname.indexOf(p[i][0])===0){` +
          `var l=document.createElement('link');l.rel='modulepreload';l.crossOrigin='';l.href=p[i][1];` +
          `document.head.appendChild(l)}})(${JSON.stringify(pairs)})</script>`
        return html.replace('</title>', '</title>\n    ' + script)
      },
    },
  }
}

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
      routePreload([{ prefix: '/stock/', module: '/src/components/KlineChart.vue' }]),
      precompress(),
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
