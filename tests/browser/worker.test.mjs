// Issue 5 in the built app: the analysis runs in a Web Worker (the page's own module, started from a
// blob: copy of its loader), quick control changes end on the newest state's numbers, large tensors
// report progress, and a browser without workers gets the same numbers from the page itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from './server.mjs';
import { launch, newPage } from './browser.mjs';
import { DIST, ready, settled, snapshot } from './helpers.mjs';

let server, browser;
before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: run `make build` first');
  server = await serve(DIST, '/q/');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(query = '', init = null) {
  const page = await newPage(browser);
  if (init) await page.addInitScript(init);
  await page.goto(server.url + query);
  await ready(page);
  await page.click('[data-testid=scheme-details] summary');
  return page;
}

/** Every number the summary shows, and every chart's text version (which names the selected
 * channel's ranges under each method, from its channel view), by test id. */
async function numbers(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-value], [data-testid$="-text"]')]
    .map((el) => [el.dataset.testid, el.dataset.value ?? el.textContent])));
}

test('analysis runs in a worker; a burst of changes ends on the newest state, same numbers as a fresh load', async () => {
  const page = await open();
  assert.equal(await page.evaluate(() => document.body.dataset.engine), 'worker');
  assert.ok(page.workers().length >= 1, 'no dedicated worker was started');
  const first = Number(await page.evaluate(() => document.body.dataset.asked));
  // Five bit widths in a row without waiting: stale requests are dropped or their answers ignored.
  for (const bits of ['7', '6', '5', '4', '3']) await page.selectOption('[data-testid=bits-select]', bits);
  await settled(page);
  assert.ok(Number(await page.evaluate(() => document.body.dataset.asked)) > first, 'the changes asked nothing');
  const burst = await numbers(page);
  const fresh = await open('?bits=3');
  assert.deepEqual(burst, await numbers(fresh), 'the burst ended on other numbers than a fresh load at 3 bits');
  assert.equal((await snapshot(page)).msqeT, (await snapshot(fresh)).msqeT);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(fresh.problems, []);
});

test('without Worker support the same analysis runs on the page, with the same numbers', async () => {
  const worker = await open('?sample=silero_vad__conv1&preset=pytorch-quint8');
  const inline = await open('?sample=silero_vad__conv1&preset=pytorch-quint8', () => { delete window.Worker; });
  assert.equal(await inline.evaluate(() => document.body.dataset.engine), 'page');
  assert.equal(inline.workers().length, 0);
  assert.deepEqual(await numbers(inline), await numbers(worker));
  // Still interactive on the page.
  await inline.selectOption('[data-testid=bits-select]', '4');
  await worker.selectOption('[data-testid=bits-select]', '4');
  await settled(inline);
  await settled(worker);
  assert.deepEqual(await numbers(inline), await numbers(worker));
});

test('a large upload reports progress while the worker reads and analyses it; the tensor shows its memory', async () => {
  // 4096 x 4096 float32 (64 MiB), rows with different ranges.
  const rows = 4096, cols = 4096;
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const head = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]),
    Buffer.from(new Uint16Array([header.length + pad + 1]).buffer), Buffer.from(header + ' '.repeat(pad) + '\n')]);
  const data = new Float32Array(rows * cols);
  let s = 1;
  for (let r = 0; r < rows; r++) {
    const scale = 0.01 * (1 + (r % 17));
    for (let c = 0; c < cols; c++) { s = (s * 1103515245 + 12345) >>> 0; data[r * cols + c] = ((s / 2 ** 32) - 0.5) * scale; }
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ql-')), 'big.npy');
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(data.buffer)]));
  const page = await open();
  // Record every progress indicator that appears (however briefly).
  await page.evaluate(() => {
    window.seen = [];
    new MutationObserver(() => {
      const a = document.querySelector('[data-testid=analysing]');
      if (a) window.seen.push(a.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('big.npy'), null, { timeout: 60000 });
  await settled(page);
  assert.equal((await page.textContent('[data-testid=channel-count]')).trim(), '4096');
  const seen = await page.evaluate(() => window.seen);
  assert.ok(seen.some((t) => /\d+\s*%/.test(t)), `no progress shown: ${JSON.stringify(seen.slice(0, 5))}`);
  const memory = Number(await page.getAttribute('[data-testid=tensor-info]', 'data-worker-memory'));
  assert.ok(memory >= rows * cols * 4, `worker memory ${memory}`);
  assert.deepEqual(page.problems, []);
});
