// The page in Debian's headless Chromium (Playwright), for `make bench`: first paint with the
// default sample, opening a 256 MB .npy, interaction latency (a control change to every chart
// redrawn) at 1 M and 16 M weights, main-thread long tasks while a 64 M tensor is analysed, and
// the size of what the page ships. Needs a release build in dist/ (`trunk build --release`).
//
// Run alone: `node bench/page.mjs` prints the Markdown section; bench/run.mjs includes it.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { serve } from '../tests/browser/server.mjs';
import { launch, newPage } from '../tests/browser/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const WORK = path.join(ROOT, '.bench');
const log = (...a) => console.error('[bench:page]', ...a);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

/** A float32 .npy of `n` weights in 1024 channels whose ranges spread over three decades. */
export function writeWorkload(n, file) {
  if (fs.existsSync(file) && fs.statSync(file).size > n * 4) return file;
  const channels = 1024;
  const per = n / channels;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${channels}, ${per}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0; head.writeUInt16LE(header.length, 8);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, head);
  fs.writeSync(fd, Buffer.from(header, 'latin1'));
  let seed = 12345;
  const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; };
  const chunk = new Float32Array(per);
  for (let c = 0; c < channels; c++) {
    const scale = 10 ** (-3 * c / (channels - 1));
    for (let i = 0; i < per; i++) chunk[i] = scale * (rand() + rand() + rand() - 1.5);
    fs.writeSync(fd, Buffer.from(chunk.buffer));
  }
  fs.closeSync(fd);
  return file;
}

/** Resolves when every request asked after `before` is answered, every chart has drawn the answer
 * (`data-drawing` gone) and a frame has passed. */
const settle = (page, before) => page.evaluate((asked) => new Promise((resolve) => {
  const done = () => Number(document.body.dataset.asked || 0) > asked && !document.body.hasAttribute('data-busy') && !document.body.hasAttribute('data-drawing');
  const finish = () => requestAnimationFrame(() => resolve(performance.now()));
  if (done()) return finish();
  const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); finish(); } });
  mo.observe(document.body, { attributes: true });
}), before);

const asked = (page) => page.evaluate(() => Number(document.body.dataset.asked || 0));

async function open(page, file) {
  const before = await asked(page);
  const t0 = await page.evaluate(() => performance.now());
  await page.setInputFiles('[data-testid=file-input]', file);
  const t1 = await settle(page, before);
  return t1 - t0;
}

/** `count` bit-width changes (8 ↔ 7, so the sweep, which ignores the bit width, is not redone):
 * milliseconds from the change to the frame after every chart was redrawn. */
async function latency(page, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const bits = i % 2 === 0 ? '7' : '8';
    const t = await page.evaluate((b) => new Promise((resolve) => {
      const before = Number(document.body.dataset.asked || 0);
      const sel = document.querySelector('[data-testid=bits-select]');
      const t0 = performance.now();
      sel.value = b;
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      const done = () => Number(document.body.dataset.asked || 0) > before && !document.body.hasAttribute('data-busy') && !document.body.hasAttribute('data-drawing');
      const mo = new MutationObserver(() => {
        if (done()) { mo.disconnect(); requestAnimationFrame(() => resolve(performance.now() - t0)); }
      });
      mo.observe(document.body, { attributes: true });
    }), bits);
    times.push(t);
  }
  return times;
}

/** Five bit-width changes 40 ms apart (faster than a 16 M analysis): milliseconds from the last
 * change to the frame after every chart was redrawn. With stale analyses dropped mid-way this is
 * about one change's latency; if each ran to the end it would add the one running at the time. */
async function burst(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const before = Number(document.body.dataset.asked || 0);
    const sel = document.querySelector('[data-testid=bits-select]');
    const widths = ['7', '6', '5', '4', '8'];
    let last = 0;
    const next = (k) => {
      sel.value = widths[k];
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      last = performance.now();
      if (k + 1 < widths.length) { setTimeout(() => next(k + 1), 40); return; }
      const done = () => Number(document.body.dataset.asked || 0) > before + widths.length - 1 && !document.body.hasAttribute('data-busy') && !document.body.hasAttribute('data-drawing');
      const check = () => { if (done()) { mo.disconnect(); requestAnimationFrame(() => resolve(performance.now() - last)); } };
      const mo = new MutationObserver(check);
      mo.observe(document.body, { attributes: true });
      check();
    };
    next(0);
  }));
}

/** Long main-thread tasks (> 50 ms) seen from here on, read back by `take`. */
const watchLongTasks = (page) => page.evaluate(() => {
  window.__long = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); })
    .observe({ type: 'longtask' });
});
const takeLongTasks = (page) => page.evaluate(() => window.__long.splice(0));

/** Everything above at full size; `smoke` (for `make test`) does one tiny iteration of each. */
export async function measurePage({ smoke = false } = {}) {
  const firstRuns = smoke ? 1 : 5;
  const sizes = smoke ? [['1 M', 1 << 16], ['16 M', 1 << 17]] : [['1 M', 1 << 20], ['16 M', 16 << 20]];
  const changes = smoke ? 2 : 20;
  const bigN = smoke ? 1 << 18 : 64 << 20;
  const openRuns = smoke ? 1 : 3;
  fs.mkdirSync(WORK, { recursive: true });
  const server = await serve(DIST, '/');
  const browser = await launch();
  const rows = {};
  try {
    // First paint with the default sample: navigation start to the frame after its charts drew.
    const firsts = [];
    for (let i = 0; i < firstRuns; i++) {
      const page = await newPage(browser);
      await page.goto(server.url);
      await page.waitForFunction(() => performance.getEntriesByName('quantlens:first-report').length > 0, null, { timeout: 30000 });
      firsts.push(await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(performance.now())))));
      await page.context().close();
    }
    rows.firstPaint = pct(firsts, 0.5);
    log('first paint', firsts);

    const page = await newPage(browser);
    await page.goto(server.url);
    await page.waitForFunction(() => performance.getEntriesByName('quantlens:first-report').length > 0, null, { timeout: 30000 });
    rows.engine = await page.evaluate(() => document.body.dataset.engine);
    for (const [label, n] of sizes) {
      const file = writeWorkload(n, path.join(WORK, `page_${n}.npy`));
      await open(page, file);
      await latency(page, 2); // warm-up
      const t = await latency(page, changes);
      rows[label] = { p50: pct(t, 0.5), p95: pct(t, 0.95) };
      log(label, t.map((x) => x.toFixed(1)).join(' '));
      if (label === '16 M') {
        const bursts = [];
        for (let i = 0; i < (smoke ? 1 : 5); i++) bursts.push(await burst(page));
        rows.burst = pct(bursts, 0.5);
        log('burst', bursts.map((x) => x.toFixed(1)).join(' '));
      }
    }

    // 64 M weights (256 MB .npy), in a fresh page: open it, then change the scheme while it is
    // analysed. The worker's memory when the first open is decoded is its peak while reading and
    // decoding (wasm memory never shrinks), the default sample's share included.
    await page.context().close();
    const big = writeWorkload(bigN, path.join(WORK, `page_${bigN}.npy`));
    const fresh = await newPage(browser);
    await fresh.goto(server.url);
    await fresh.waitForFunction(() => performance.getEntriesByName('quantlens:first-report').length > 0, null, { timeout: 30000 });
    await watchLongTasks(fresh);
    const memoryOf = () => fresh.evaluate(() => Number(document.querySelector('[data-testid=tensor-info]')?.dataset.workerMemory || 0));
    rows.memoryBase = await memoryOf();
    const opens = [], reads = [], decodes = [];
    for (let i = 0; i < openRuns; i++) {
      opens.push(await open(fresh, big));
      const info = await fresh.evaluate(() => ({ ...document.querySelector('[data-testid=tensor-info]').dataset }));
      reads.push(Number(info.readMs));
      decodes.push(Number(info.decodeMs));
      if (i === 0) rows.memory = await memoryOf();
    }
    rows.memoryAfter = await memoryOf();
    rows.opens = openRuns;
    rows.tensorBytes = bigN * 4;
    log('open 256 MB', opens, 'read', reads, 'decode', decodes);
    rows.open256 = pct(opens, 0.5);
    rows.read256 = pct(reads, 0.5);
    rows.decode256 = pct(decodes, 0.5);
    const before = await asked(fresh);
    for (const id of ['pytorch-qint8', 'tflite-int8', 'ort-int8']) {
      await fresh.selectOption('[data-testid=preset-select]', id);
      await fresh.waitForTimeout(50);
    }
    const t0 = await fresh.evaluate(() => performance.now());
    const t1 = await settle(fresh, before);
    rows.analysis64 = t1 - t0;
    rows.longTasks = await takeLongTasks(fresh);
    await fresh.context().close();
  } finally {
    await browser.close();
    await server.close();
  }

  // What the page ships: the page, its stylesheet and the wasm module, which a normal page fetches
  // as binary and a sandboxed iframe (opaque origin) loads as a base64 script.
  const files = fs.readdirSync(DIST).filter((f) => /\.(wasm|js|html|css)$/.test(f) && f !== 'embed-example.html');
  const gz = (f) => zlib.gzipSync(fs.readFileSync(path.join(DIST, f)), { level: 9 }).length;
  const entry = (f) => ({ f, bytes: fs.statSync(path.join(DIST, f)).size, gz: gz(f) });
  rows.size = { files: files.map(entry) };
  const sum = (pick) => rows.size.files.filter((x) => pick(x.f)).reduce((a, x) => a + x.gz, 0);
  const page = (f) => f.endsWith('.html') || f.endsWith('.css');
  rows.size.normal = sum((f) => page(f) || f.endsWith('.wasm'));
  rows.size.sandboxed = sum((f) => page(f) || f.endsWith('.wasm.js'));
  rows.size.wasmGz = sum((f) => f.endsWith('.wasm'));
  return rows;
}

const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
const msf = (x) => `${x.toFixed(1)} ms`;

export function pageMarkdown(r) {
  const longest = r.longTasks.length ? Math.max(...r.longTasks) : 0;
  return `## The page in headless Chromium

Debian's Chromium driven by playwright-core, the release build served from loopback; analysis runs in
a Web Worker (\`data-engine=${r.engine}\`). Latency: a bit-width change (8 ↔ 7) to the animation frame
after every chart was redrawn with the new numbers, 20 changes after 2 warm-ups.

| measure | measured | target |
|---|---:|---:|
| first paint with the default sample (navigation → frame after its charts), median of 5 | ${msf(r.firstPaint)} | ≤ 1000 ms |
| control change → all charts redrawn, 1 M weights, p50 / p95 | ${msf(r['1 M'].p50)} / ${msf(r['1 M'].p95)} | p50 ≤ 16 ms |
| control change → all charts redrawn, 16 M weights, p50 / p95 | ${msf(r['16 M'].p50)} / ${msf(r['16 M'].p95)} | p50 ≤ 100 ms |
| five bit-width changes 40 ms apart, 16 M weights: last change → all charts redrawn, median of 5 (stale analyses dropped mid-way) | ${msf(r.burst)} | — |
| open a 256 MB .npy (64 M weights): decode (header + float32 data into the tensor), in the worker, median of 3 | ${msf(r.decode256)} | ≤ 500 ms |
| … reading the file into the worker's memory (FileReaderSync, 16 MiB slices) | ${msf(r.read256)} | — |
| … file picked → read, decoded, analysed and every chart redrawn | ${msf(r.open256)} | — |
| peak worker memory reading + decoding it (wasm linear memory, the default sample's ${kb(r.memoryBase)} included) | ${kb(r.memory)} = ${(r.memory / r.tensorBytes).toFixed(2)}× the tensor | ≤ 2.5× |
| … after ${r.opens} opens and analyses of it (the shown tensor stays until the next is decoded) | ${kb(r.memoryAfter)} = ${(r.memoryAfter / r.tensorBytes).toFixed(2)}× | — |
| three scheme changes on 64 M weights → all charts redrawn | ${msf(r.analysis64)} | — |
| main-thread tasks over 50 ms during the 64 M opens and analyses | ${r.longTasks.length} (longest ${msf(longest)}) | none |

| shipped file | bytes | gzipped (level 9) |
|---|---:|---:|
${r.size.files.map((f) => `| \`${f.f}\` | ${f.bytes} | ${f.gz} |`).join('\n')}
| **what a page loads** (html + css + binary wasm) | | **${kb(r.size.normal)}** (target ≤ 250 KB) |
| what a sandboxed iframe loads (html + css + base64 wasm script) | | ${kb(r.size.sandboxed)} |
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await measurePage();
  console.log(pageMarkdown(r));
}
