// Shared links: the view lives in the URL (replaceState, no history entry, no scroll), a link
// reproduces it exactly, and a bad parameter falls back with a visible notice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve } from './server.mjs';
import { launch, newPage } from './browser.mjs';
import { DIST, ROOT, ready, snapshot } from './helpers.mjs';

let server, browser;
before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: run `make build` first');
  server = await serve(DIST, '/docs/quantlens/');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('a shared link reproduces the view exactly: numbers, controls and theme', async () => {
  // A short window, so the page can scroll well past the point the test scrolls to.
  const page = await newPage(browser, { viewport: { width: 1280, height: 700 } });
  await page.goto(server.url);
  await ready(page);
  const historyBefore = await page.evaluate(() => history.length);
  await page.selectOption('[data-testid=sample-select]', 'silero_vad__conv1');
  await page.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('conv1'));
  await page.selectOption('[data-testid=preset-select]', 'ort-uint8');
  await page.selectOption('[data-testid=axis-select]', '1');
  await page.waitForFunction(() => document.querySelector('[data-testid=channel-count]').textContent.trim() === '129');
  await page.selectOption('[data-testid=theme-select]', 'dark');
  // Changing a control rewrites the URL without scrolling the page (the change is dispatched from
  // script, as Playwright's own typing would scroll the field into view).
  await page.evaluate(() => window.scrollTo(0, 250));
  await page.$eval('[data-testid=channel-input]', (el) => { el.value = '77'; el.dispatchEvent(new Event('change', { bubbles: true })); });
  await page.waitForFunction(() => document.querySelector('[data-testid=selected-channel]').textContent.startsWith('Channel 77'));
  await page.waitForFunction(() => location.search.includes('ch=77'));
  assert.equal(await page.evaluate(() => window.scrollY), 250, 'the page did not scroll');
  assert.equal(await page.evaluate(() => history.length), historyBefore, 'no history entries were added');
  const url = page.url();
  assert.match(url, /\?sample=silero_vad__conv1&preset=ort-uint8&axis=1&ch=77&theme=dark$/);
  const want = await snapshot(page);
  assert.equal(want.theme, 'dark');

  const other = await newPage(browser);
  await other.goto(url);
  await ready(other);
  await other.waitForFunction(() => document.querySelector('[data-testid=selected-channel]')?.textContent.startsWith('Channel 77'));
  assert.deepEqual(await snapshot(other), want);
  assert.equal(await other.$('[data-testid=link-notice]'), null, 'a clean link has no notice');
  // The charts are drawn in the dark theme: the canvas background is dark.
  const bg = await other.$eval('[data-testid=chart-ranges]', (c) => [...c.getContext('2d').getImageData(2, 2, 1, 1).data]);
  assert.ok(bg[0] < 60 && bg[1] < 60 && bg[2] < 60, `dark chart background, got ${bg}`);
  assert.deepEqual([...page.problems, ...other.problems], [], 'console errors');
  await page.close();
  await other.close();
});

test('unknown or malformed parameters fall back to defaults with a visible notice', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}?sample=no_such&axis=9&ch=x&theme=pink&zoom=2`);
  await ready(page);
  const notice = await page.textContent('[data-testid=link-notice]');
  assert.match(notice, /Ignored `zoom=2`: unknown parameter/);
  assert.match(notice, /Ignored `sample=no_such`: no bundled sample has this id/);
  assert.match(notice, /Ignored `axis=9`: this tensor has 4 axes \(0–3\); showing axis 0/);
  assert.match(notice, /Ignored `ch=x`: expected a channel number/);
  assert.match(notice, /Ignored `theme=pink`: expected light, dark or auto/);
  // Defaults are shown, the app works, and the notice can be dismissed.
  assert.equal(await page.inputValue('[data-testid=sample-select]'), 'efficientnet_lite0__blocks15_depthwise_conv');
  assert.equal(await page.inputValue('[data-testid=axis-select]'), '0');
  await page.click('[data-testid=link-notice] button');
  assert.equal(await page.$('[data-testid=link-notice]'), null);
  // The address now holds the view actually shown (it follows the view within 200 ms).
  await page.waitForFunction(() => /^\?sample=efficientnet_lite0__blocks15_depthwise_conv&preset=ort-int8&axis=0&ch=\d+$/.test(location.search));
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('share panel: the link and the embed code; an uploaded file never goes into the URL', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}?sample=ppocrv4_det__conv2d_412_depthwise&ch=3`);
  await ready(page);
  await page.click('[data-testid=share-toggle]');
  assert.equal(await page.getAttribute('[data-testid=share-toggle]', 'aria-expanded'), 'true');
  const link = await page.inputValue('[data-testid=share-link]');
  await page.waitForFunction((l) => location.href === l, link);
  const code = await page.inputValue('[data-testid=embed-code]');
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/docs\/quantlens\/\?sample=ppocrv4_det__conv2d_412_depthwise&amp;preset=ort-int8&amp;axis=0&amp;ch=3&amp;embed=1" /);
  for (const attr of ['title="quantlens: ', 'loading="lazy"', 'sandbox="allow-scripts allow-downloads"', 'width="100%"', 'height="']) {
    assert.ok(code.includes(attr), `embed code has ${attr}: ${code}`);
  }
  // Copy: the clipboard or, where it is refused, the text selected; either way it says so.
  await page.click('[data-testid=embed-code-copy]');
  // (It answers within 2 s even when the browser leaves the clipboard request pending.)
  await page.waitForFunction(() => [...document.querySelectorAll('.copy-box [role=status]')]
    .some((s) => /Copied to the clipboard|press Ctrl\+C/.test(s.textContent)), null, { timeout: 5000 });
  await page.setInputFiles('[data-testid=file-input]', path.join(ROOT, 'tests/fixtures/mixed.safetensors'));
  await page.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('mixed.safetensors'));
  await page.waitForFunction(() => !location.search.includes('sample='));
  assert.match(page.url(), /\?preset=ort-int8$/);
  assert.match(await page.textContent('#share-panel'), /Your own file is not part of the link/);
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});
