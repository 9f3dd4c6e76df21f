// Embedding: web/embed-example.html hosts two sandboxed widgets (allow-scripts allow-downloads,
// no allow-same-origin) from a plain static server under a sub-path. Both render their state,
// report their height, add no history entries to the host, load samples and download files.
// Also: embed mode at 360 and 800 px in both themes (screenshots, docs/embed.png), and keyboard
// and screen-reader basics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve } from './server.mjs';
import { launch, newPage } from './browser.mjs';
import { DIST, ROOT, ready, value } from './helpers.mjs';

const REFS = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets/samples/samples.json'), 'utf8'));
const SHOTS = path.join(ROOT, 'test-results');

let server, browser;
before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'embed-example.html')), 'dist/embed-example.html is missing: run `make build` first');
  server = await serve(DIST, '/docs/quantlens/');
  browser = await launch();
  fs.mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// Browsers pause animation frames in iframes out of view: poll on a timer, not on frames.
const POLL = { polling: 100, timeout: 30000 };
const frameOf = (page, id) => page.frames().find((f) => f.url().includes(`id=${id}`));

test('the example host page: two live widgets in their states, heights reported, no host history', async () => {
  const page = await newPage(browser, { viewport: { width: 900, height: 900 } });
  await page.goto(server.url + 'embed-example.html');
  await page.waitForFunction(() => document.querySelectorAll('iframe').length === 2);
  // Both widgets are below or at the fold; scroll through the page so lazy frames load.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForFunction(() => window.quantlensHeights && window.quantlensHeights.dw && window.quantlensHeights.vad, null, { timeout: 30000 });
  const dw = frameOf(page, 'dw');
  const vad = frameOf(page, 'vad');
  await ready(dw);
  await ready(vad);
  // Their numbers, in their states.
  const ref = REFS.find((r) => r.file === 'efficientnet_lite0__blocks15_depthwise_conv.npy');
  const dwMsqe = await value(dw, 'msqe-per-tensor');
  assert.ok(Math.abs(dwMsqe - ref.msqe_per_tensor) / ref.msqe_per_tensor < 1e-6, `dw ${dwMsqe}`);
  assert.match(await dw.textContent('[data-testid=selected-channel]'), /^Channel 494/);
  assert.equal(await dw.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await vad.evaluate(() => document.documentElement.dataset.theme), 'light');
  assert.equal(await vad.inputValue('[data-testid=preset-select]'), 'ggml-q8_0');
  assert.match(await vad.textContent('[data-testid=tensor-origin]'), /Silero VAD/);
  // Embed mode: no page chrome; a link to the full view of the same state in a new tab.
  assert.equal(await dw.$('header.top'), null);
  assert.equal(await dw.$('footer'), null);
  const full = await dw.getAttribute('[data-testid=open-full-view]', 'href');
  assert.ok(!full.includes('embed=') && full.includes('ch=494') && full.includes('theme=dark'), full);
  assert.equal(await dw.getAttribute('[data-testid=open-full-view]', 'target'), '_blank');
  // Sandboxed without allow-same-origin: an opaque origin, and still working.
  assert.equal(await dw.evaluate(() => self.origin), 'null');
  // ... with the analysis in its worker there too (a blob: worker works in an opaque origin).
  assert.equal(await dw.evaluate(() => document.body.dataset.engine), 'worker');
  // Heights: the host's listener sized each iframe to what the widget reported.
  const sized = await page.evaluate(() => [...document.querySelectorAll('iframe')].map((f) => [f.id, parseFloat(f.style.height)]));
  const heights = await page.evaluate(() => window.quantlensHeights);
  for (const [id, h] of sized) {
    const key = id === 'widget-dw' ? 'dw' : 'vad';
    assert.ok(Math.abs(h - heights[key]) <= 1, `${id}: iframe ${h} px, reported ${heights[key]}`);
    assert.ok(heights[key] > 800 && heights[key] < 4000, `${key}: ${heights[key]}`);
  }
  // Interacting with a widget's controls adds nothing to the host's history, changes its URL not.
  const hostHistory = await page.evaluate(() => history.length);
  const hostUrl = page.url();
  await dw.selectOption('[data-testid=preset-select]', 'ort-uint8');
  await dw.fill('[data-testid=channel-input]', '12');
  await dw.press('[data-testid=channel-input]', 'Enter');
  await dw.waitForFunction(() => location.search.includes('ch=12') && location.search.includes('preset=ort-uint8'), null, POLL);
  // Another sample, loaded inside the sandbox (from its script copy: fetch() cannot read it here).
  await vad.selectOption('[data-testid=sample-select]', 'ppocrv4_det__conv2d_412_depthwise');
  await vad.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('conv2d_412'), null, POLL);
  assert.equal(await page.evaluate(() => history.length), hostHistory, 'no history entries in the host');
  assert.equal(page.url(), hostUrl);
  // Downloads work in the sandbox (allow-downloads).
  const [d] = await Promise.all([page.waitForEvent('download'), vad.click('[data-testid=export-csv]')]);
  assert.match(d.suggestedFilename(), /ppocrv4_det__conv2d_412_depthwise_ggml-q8_0_axis0_channels\.csv$/);
  const text = fs.readFileSync(await d.path(), 'utf8');
  assert.ok(text.startsWith('channel,elements,finite,'), text.slice(0, 60));
  // File input works in the sandbox too.
  await dw.setInputFiles('[data-testid=file-input]', path.join(ROOT, 'tests/bugcases/03_fortran.npy'));
  await dw.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('03_fortran.npy'), null, POLL);
  await page.screenshot({ path: path.join(SHOTS, 'embed-example.png') });
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('embed mode fits 360 and 800 px wide in both themes (screenshots; docs/embed.png)', async () => {
  for (const theme of ['light', 'dark']) {
    for (const width of [360, 800]) {
      const page = await newPage(browser, { viewport: { width, height: 900 }, deviceScaleFactor: 2 });
      await page.goto(`${server.url}?sample=ppocrv4_det__conv2d_412_depthwise&theme=${theme}&embed=1`);
      await ready(page);
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${theme} ${width}px: ${overflow}px of horizontal overflow`);
      const file = path.join(SHOTS, `embed-${theme}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      if (theme === 'dark' && width === 800) {
        await page.screenshot({ path: path.join(ROOT, 'docs/embed.png'), fullPage: true, clip: { x: 0, y: 0, width, height: 1350 } });
      }
      assert.deepEqual(page.problems, [], 'console errors');
      await page.close();
    }
  }
});

test('keyboard and screen readers: labels, visible focus, chart text, arrow keys on charts', async () => {
  const page = await newPage(browser);
  await page.goto(server.url);
  await ready(page);
  // Every form control has a label (a <label for>, or aria-label).
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unlabelled, []);
  // Tab reaches the controls and shows a focus outline.
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle }));
  assert.equal(first.id, 'sample-select');
  assert.notEqual(first.outline, 'none', 'visible focus');
  // Each chart has a text version with its key numbers.
  const text = await page.textContent('[data-testid=chart-ranges-text]');
  assert.match(text, /^Per-channel ranges: 1\s?152 channels, narrowest channel \d+ \[.*\], widest channel \d+ \[.*\]; per-tensor range \[.*\]\./);
  assert.equal(await page.getAttribute('[data-testid=chart-ranges]', 'aria-describedby'), 'chart-ranges-text');
  assert.match(await page.textContent('[data-testid=chart-msqe-text]'), /^MSQE per channel: with the per-tensor scale from/);
  assert.match(await page.textContent('[data-testid=chart-tensor-hist-text]'), /^Whole-tensor histogram: 10\s?368 values/);
  assert.match(await page.textContent('[data-testid=chart-channel-hist-text]'), /^Channel \d+: 9 values in/);
  // A clickable chart is focusable and the arrow keys select channels.
  await page.fill('[data-testid=channel-input]', '100');
  await page.press('[data-testid=channel-input]', 'Enter');
  await page.focus('[data-testid=chart-ranges]');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.inputValue('[data-testid=channel-input]'), '102');
  await page.keyboard.press('End');
  assert.equal(await page.inputValue('[data-testid=channel-input]'), '1151');
  assert.match(await page.textContent('[data-testid=selected-channel]'), /^Channel 1151/);
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});
