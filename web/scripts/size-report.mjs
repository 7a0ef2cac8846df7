#!/usr/bin/env node
// Prints the gzip size of the initial JS (entry chunk + its static imports, from the Vite manifest)
// and of all JS, as a markdown snippet. Usage: node scripts/size-report.mjs [distDir] [--max-kb=400]
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'

const args = process.argv.slice(2)
const dist = resolve(args.find((a) => !a.startsWith('--')) ?? new URL('../dist', import.meta.url).pathname)
const maxArg = args.find((a) => a.startsWith('--max-kb='))
const maxKb = maxArg ? Number(maxArg.split('=')[1]) : 400

const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'))
const entries = Object.entries(manifest).filter(([, c]) => c.isEntry)
if (!entries.length) throw new Error('no entry chunk in manifest')

const sizeOf = (file) => {
  const buf = readFileSync(join(dist, file))
  return { raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length, br: brotliCompressSync(buf).length }
}

// Walk static imports only; dynamic imports are loaded on demand.
const initial = new Set()
const walk = (key) => {
  const chunk = manifest[key]
  if (!chunk || initial.has(chunk.file)) return
  initial.add(chunk.file)
  for (const imp of chunk.imports ?? []) walk(imp)
}
for (const [key] of entries) walk(key)

const allJs = []
const scan = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) scan(p)
    else if (name.endsWith('.js')) allJs.push(p.slice(dist.length + 1))
  }
}
scan(join(dist, 'assets'))

const kb = (n) => (n / 1024).toFixed(1)
let initRaw = 0
let initGz = 0
let initBr = 0
const rows = []
for (const f of [...initial].sort()) {
  const s = sizeOf(f)
  initRaw += s.raw
  initGz += s.gzip
  initBr += s.br
  rows.push(`| \`${f}\` | ${kb(s.raw)} | ${kb(s.gzip)} | ${kb(s.br)} |`)
}
let totRaw = 0
let totGz = 0
let totBr = 0
for (const f of allJs) {
  const s = sizeOf(f)
  totRaw += s.raw
  totGz += s.gzip
  totBr += s.br
}

const ok = initGz / 1024 <= maxKb
console.log(`### Web bundle size

| initial JS chunk | raw KB | gzip KB | brotli KB |
| --- | ---: | ---: | ---: |
${rows.join('\n')}
| **initial JS total** | **${kb(initRaw)}** | **${kb(initGz)}** | **${kb(initBr)}** |
| all JS (${allJs.length} files, incl. lazy routes) | ${kb(totRaw)} | ${kb(totGz)} | ${kb(totBr)} |

Budget: initial JS gzip ≤ ${maxKb} KB — ${ok ? 'OK' : 'OVER BUDGET'}.`)
if (!ok) process.exitCode = 1
