// Where the time of one control change goes, in headless Chromium: `node bench/breakdown.mjs [N]`
// (N weights, default 1 M; needs the release build in dist/). It wraps the page's Worker messages
// and prints, for a few bit-width changes, the time from the change to each answer (the analysis,
// then the selected channel's view, asked when the analysis is in) and to the frame after the
// last chart was drawn. Not part of `make bench`: it explains the latency rows of docs/BENCHMARKS.md.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../tests/browser/server.mjs';
import { launch, newPage } from '../tests/browser/browser.mjs';
import { writeWorkload } from './page.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const n = Number(process.argv[2] || 1 << 20);
const server = await serve(path.join(ROOT, 'dist'), '/');
const browser = await launch();
try {
  const page = await newPage(browser);
  await page.addInitScript(() => {
    window.__log = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (...a) {
      if (a[0]?.id) window.__log.push({ kind: 'ask', id: a[0].id, t: performance.now() });
      return post.apply(this, a);
    };
    const on = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage');
    Object.defineProperty(Worker.prototype, 'onmessage', {
      get() { return on.get.call(this); },
      set(h) {
        on.set.call(this, (e) => {
          const t = performance.now();
          h(e);
          // Progress reports are 9 bytes; answers are larger.
          if ((e.data?.body?.length ?? 0) > 9) window.__log.push({ kind: 'answer', id: e.data.id, t, bytes: e.data.body.length, handler: performance.now() - t });
        });
      },
    });
  });
  await page.goto(server.url);
  await page.waitForFunction(() => performance.getEntriesByName('quantlens:first-report').length > 0, null, { timeout: 30000 });
  const file = writeWorkload(n, path.join(ROOT, '.bench', `page_${n}.npy`));
  await page.setInputFiles('[data-testid=file-input]', file);
  const idle = () => page.waitForFunction(() => !document.body.hasAttribute('data-busy') && !document.body.hasAttribute('data-drawing'), null, { timeout: 120000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('page_'), null, { timeout: 60000 });
  await idle();
  await page.waitForTimeout(300);
  console.log(`${n} weights: change → analysis answered | → channel view answered | → last chart drawn + frame (ms)`);
  for (const bits of ['7', '8', '7', '8', '7']) {
    const r = await page.evaluate((b) => new Promise((resolve) => {
      window.__log = [];
      const sel = document.querySelector('[data-testid=bits-select]');
      const t0 = performance.now();
      sel.value = b;
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      const mo = new MutationObserver(() => {
        if (document.body.hasAttribute('data-busy') || document.body.hasAttribute('data-drawing')) return;
        mo.disconnect();
        requestAnimationFrame(() => {
          const answers = window.__log.filter((e) => e.kind === 'answer').map((e) => (e.t - t0).toFixed(1));
          resolve(`${answers.join(' | ')} | ${(performance.now() - t0).toFixed(1)}`);
        });
      });
      mo.observe(document.body, { attributes: true });
    }), bits);
    console.log(r);
  }
} finally {
  await browser.close();
  await server.close();
}
