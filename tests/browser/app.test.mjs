// The built app (dist/) in Debian's headless Chromium: real samples, real numbers, real uploads.
// Run with `node --test tests/browser/` after `trunk build --release` (make test does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './server.mjs';
import { launch, newPage } from './browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const REFS = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets/samples/samples.json'), 'utf8'));
const ref = (file) => REFS.find((r) => r.file === file);

let server, browser;
before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: run `make build` first');
  // Served under a sub-path, as a documentation site would host it: proves the URLs are relative.
  server = await serve(DIST, '/docs/quantlens/');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(opts) {
  const page = await newPage(browser, opts);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=msqe-per-tensor]', { timeout: 30000 });
  return page;
}

/** Reads a displayed number: the text (as a person sees it) and the exact data-value. */
async function number(page, testid) {
  const el = page.locator(`[data-testid=${testid}]`);
  const text = (await el.textContent()).trim();
  const value = Number(await el.getAttribute('data-value'));
  return { text, shown: Number.parseFloat(text), value };
}

/** Waits until the page shows `file` (its origin line names the layer and the numbers are there). */
async function selectSample(page, file) {
  const id = file.replace(/\.npy$/, '');
  await page.selectOption('[data-testid=sample-select]', id);
  const r = ref(file);
  await page.waitForFunction(
    ([layer]) => document.querySelector('[data-testid=tensor-origin]')?.textContent.includes(layer)
      && !document.querySelector('[data-testid=loading]'),
    [r.layer], { timeout: 30000 });
}

function assertMsqe(got, want, label) {
  assert.ok(got.text.length > 0, `${label}: nothing shown`);
  // At least 4 significant digits on screen: "2.6497e-6" style.
  const digits = got.text.replace(/e.*$/, '').replace(/[^0-9]/g, '').replace(/^0+/, '');
  assert.ok(digits.length >= 4, `${label}: "${got.text}" has fewer than 4 significant digits`);
  assert.ok(Math.abs(got.shown - want) / want < 1e-4, `${label}: shown ${got.text}, reference ${want}`);
  assert.ok(Math.abs(got.value - want) / want < 1e-6, `${label}: value ${got.value}, reference ${want}`);
}

test('default sample, three more samples: MSQE equals the float64 reference; no console errors', async () => {
  const page = await open();
  const first = ref('efficientnet_lite0__blocks15_depthwise_conv.npy');
  await page.waitForFunction((l) => document.querySelector('[data-testid=tensor-origin]')?.textContent.includes(l), first.layer);
  const files = [
    'efficientnet_lite0__blocks15_depthwise_conv.npy',
    'ppocrv4_det__conv2d_412_depthwise.npy',
    'all_minilm_l6_v2__layer0_ffn_output.npy',
    'silero_vad__conv1.npy',
    'efficientnet_lite0__blocks7_depthwise_conv_bnfolded.npy',
  ];
  for (const [i, file] of files.entries()) {
    if (i > 0) await selectSample(page, file);
    const r = ref(file);
    assertMsqe(await number(page, 'msqe-per-tensor'), r.msqe_per_tensor, `${file} per-tensor`);
    assertMsqe(await number(page, 'msqe-per-channel'), r.msqe_per_channel, `${file} per-channel`);
    assert.equal((await page.textContent('[data-testid=channel-count]')).trim(), String(r.shape[0]), `${file} channel count`);
    const sqnrT = await number(page, 'sqnr-per-tensor');
    const sqnrC = await number(page, 'sqnr-per-channel');
    assert.ok(sqnrC.value > sqnrT.value, `${file}: per-channel SQNR ${sqnrC.text} should beat ${sqnrT.text}`);
    assert.match(sqnrT.text, /^-?\d+(\.\d+)? dB$/);
    const ratio = Number(await page.getAttribute('[data-testid=headline]', 'data-value'));
    assert.ok(Math.abs(ratio - r.msqe_ratio) / r.msqe_ratio < 1e-5, `${file}: ratio ${ratio} vs ${r.msqe_ratio}`);
  }
  // Canvases are drawn at device resolution and are not blank.
  for (const id of ['chart-ranges', 'chart-msqe', 'chart-tensor-hist', 'chart-channel-hist']) {
    const inked = await page.$eval(`[data-testid=${id}]`, (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;
      return { n, w: c.width, cw: c.clientWidth };
    });
    assert.ok(inked.n > 2000, `${id} looks blank (${inked.n} inked pixels)`);
    assert.equal(inked.w, inked.cw, `${id}: backing store should match CSS width at DPR 1`);
  }
  assert.equal(await page.$('#boot'), null, 'the loading note is gone once the app runs');
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('the sample picked last wins, even when an earlier one arrives later', async () => {
  const page = await open();
  // Hold back the response of the first pick for a second.
  await page.route('**/all_minilm_l6_v2__word_embeddings_rows0-1999.npy', async (route) => {
    await new Promise((r) => setTimeout(r, 1000));
    await route.continue();
  });
  await page.selectOption('[data-testid=sample-select]', 'all_minilm_l6_v2__word_embeddings_rows0-1999');
  await page.waitForTimeout(100);
  await selectSample(page, 'silero_vad__conv1.npy');
  await page.waitForTimeout(1800);
  assert.match(await page.textContent('[data-testid=tensor-origin]'), /conv1/);
  assert.equal(await page.inputValue('[data-testid=sample-select]'), 'silero_vad__conv1');
  // The same for a file still being read when a sample is picked: a 64 MiB .npy, then a sample.
  const big = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'quantlens-')), 'slow.npy');
  const hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (16777216,), }";
  const hdrText = hdr + ' '.repeat((64 - ((10 + hdr.length + 1) % 64)) % 64) + '\n';
  fs.writeFileSync(big, Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, hdrText.length, 0]), Buffer.from(hdrText)]));
  fs.truncateSync(big, 10 + hdrText.length + 4 * 16777216);
  await page.setInputFiles('[data-testid=file-input]', big);
  await selectSample(page, 'ppocrv4_det__conv2d_412_depthwise.npy');
  await page.waitForTimeout(2500);
  assert.match(await page.textContent('[data-testid=tensor-origin]'), /conv2d_412/);
  fs.rmSync(path.dirname(big), { recursive: true });
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('preset, axis and channel controls recompute; clicking a chart selects a channel', async () => {
  const page = await open();
  const before = await number(page, 'msqe-per-tensor');
  await page.selectOption('[data-testid=preset-select]', 'ort-uint8');
  await page.waitForFunction((v) => document.querySelector('[data-testid=msqe-per-tensor]').dataset.value !== v, String(before.value));
  const asym = await number(page, 'msqe-per-tensor');
  assert.ok(asym.value > 0 && asym.value !== before.value);
  // Axis 1 of a [1152,1,3,3] depthwise weight has one channel: per-channel equals per-tensor.
  await page.selectOption('[data-testid=axis-select]', '1');
  await page.waitForFunction(() => document.querySelector('[data-testid=channel-count]').textContent.trim() === '1');
  const t = await number(page, 'msqe-per-tensor');
  const c = await number(page, 'msqe-per-channel');
  assert.equal(t.value, c.value);
  await page.selectOption('[data-testid=axis-select]', '0');
  await page.waitForFunction(() => document.querySelector('[data-testid=channel-count]').textContent.trim() === '1152');
  // Click near the right end of the ranges chart: a channel in the upper part gets selected.
  const box = await page.locator('[data-testid=chart-ranges]').boundingBox();
  await page.mouse.click(box.x + box.width - 30, box.y + box.height / 2);
  const picked = Number(await page.inputValue('[data-testid=channel-input]'));
  assert.ok(picked > 1000 && picked < 1152, `clicked channel ${picked}`);
  await page.fill('[data-testid=channel-input]', '494');
  await page.press('[data-testid=channel-input]', 'Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=selected-channel]').textContent.startsWith('Channel 494'));
  // A channel that does not exist: a message, and the selection stays.
  await page.fill('[data-testid=channel-input]', '5000');
  await page.press('[data-testid=channel-input]', 'Enter');
  await page.waitForSelector('text=expected a channel number from 0 to 1151, found "5000"');
  assert.equal(await page.inputValue('[data-testid=channel-input]'), '494');
  await page.fill('[data-testid=channel-input]', '12');
  await page.press('[data-testid=channel-input]', 'Enter');
  await page.waitForFunction(() => !document.querySelector('[data-testid=channel-error]'));
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('upload: every format through the real file input; bad files get a message and the app keeps working', async () => {
  const page = await open();
  const bug = (f) => path.join(ROOT, 'tests/bugcases', f);
  const fixture = (f) => path.join(ROOT, 'tests/fixtures', f);
  const originHas = (text) => page.waitForFunction((t) => document.querySelector('[data-testid=tensor-origin]').textContent.includes(t), text);

  await page.setInputFiles('[data-testid=file-input]', bug('03_fortran.npy'));
  await originHas('03_fortran.npy');
  assert.equal((await page.textContent('[data-testid=tensor-shape]')).trim(), '2×3');
  assert.equal((await page.textContent('[data-testid=channel-count]')).trim(), '2');

  // .npz: the member picker lists every array; the 2-D float one is shown first.
  await page.setInputFiles('[data-testid=file-input]', fixture('two_members.npz'));
  await originHas('two_members.npz · weight');
  const options = await page.$$eval('[data-testid=member-select] option', (os) => os.map((o) => [o.textContent, o.disabled]));
  assert.deepEqual(options.map((o) => o[0]), ['bias · float64 · 6', 'weight · float32 · 6×4', 'labels · ? · scalar (0-d)']);
  assert.equal(options[2][1], true, 'the object-dtype member is listed but disabled');
  await page.selectOption('[data-testid=member-select]', 'bias');
  await originHas('two_members.npz · bias');
  assert.equal((await page.textContent('[data-testid=tensor-shape]')).trim(), '6');

  // .safetensors: names, dtypes, shapes; bfloat16 and float16 tensors open.
  await page.setInputFiles('[data-testid=file-input]', fixture('mixed.safetensors'));
  await originHas('mixed.safetensors');
  await page.selectOption('[data-testid=member-select]', 'conv.weight');
  await originHas('mixed.safetensors · conv.weight');
  assert.equal((await page.textContent('[data-testid=tensor-shape]')).trim(), '6×1×2×2');
  assert.match(await page.textContent('.info'), /float16/);
  // ConvTranspose layout puts the channels on axis 1.
  await page.selectOption('[data-testid=layout-select]', 'pt-convt');
  await page.waitForFunction(() => document.querySelector('[data-testid=channel-count]').textContent.trim() === '1');
  await page.selectOption('[data-testid=layout-select]', 'tf');
  await page.waitForFunction(() => document.querySelector('[data-testid=channel-count]').textContent.trim() === '2');
  await page.selectOption('[data-testid=layout-select]', 'pt');

  await page.setInputFiles('[data-testid=file-input]', bug('10_compressed.npz'));
  await originHas('10_compressed.npz · a');
  assert.equal((await page.textContent('[data-testid=tensor-shape]')).trim(), '4×3');

  for (const [file, words] of [
    ['01_v4_bad.npy', 'unsupported .npy format version 4.0'],
    ['08_trunc_data.npy', 'truncated data: 6 elements (24 bytes) expected'],
    ['08_trunc_header.npy', 'truncated header'],
    ['09_object.npy', 'object arrays'],
    ['09_struct.npy', "fields 'w', 'b'"],
    ['10_empty.npz', 'the archive holds no arrays'],
  ]) {
    await page.setInputFiles('[data-testid=file-input]', bug(file));
    await page.waitForSelector('[data-testid=error]');
    const msg = await page.textContent('[data-testid=error]');
    assert.ok(msg.includes(words) && msg.includes(file), `${file}: "${msg}"`);
    // The tensor on screen is unchanged.
    assert.equal((await page.textContent('[data-testid=tensor-shape]')).trim(), '4×3');
    await page.click('[data-testid=error] button');
  }
  // A file that is not a tensor at all, passed as a buffer.
  await page.setInputFiles('[data-testid=file-input]', { name: 'notes.npy', mimeType: 'text/plain', buffer: Buffer.from('just some text\n') });
  await page.waitForSelector('[data-testid=error]');
  assert.match(await page.textContent('[data-testid=error]'), /notes\.npy: not a \.npy, \.npz or \.safetensors file/);
  await page.click('[data-testid=error] button');
  // Still usable: back to a sample.
  await selectSample(page, 'silero_vad__conv1.npy');
  assertMsqe(await number(page, 'msqe-per-channel'), ref('silero_vad__conv1.npy').msqe_per_channel, 'after errors');
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('drag and drop anywhere opens a file; a huge declared tensor is refused before reading', async () => {
  const page = await open();
  const bytes = fs.readFileSync(path.join(ROOT, 'tests/bugcases/14_dw_tf_1x3x3x32.npy'));
  // Drop onto the page body as a browser would: a DataTransfer holding a File.
  const dt = await page.evaluateHandle((b64) => {
    const dt = new DataTransfer();
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    dt.items.add(new File([bin], 'dropped.npy'));
    return dt;
  }, bytes.toString('base64'));
  await page.dispatchEvent('body', 'dragover', { dataTransfer: dt });
  assert.ok(await page.isVisible('.drop-overlay.visible'), 'the drop target shows while dragging');
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
  await page.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('dropped.npy'));
  assert.equal(await page.isVisible('.drop-overlay.visible'), false);
  // TFLite depthwise layout: channels last.
  await page.selectOption('[data-testid=layout-select]', 'tf');
  await page.waitForFunction(() => document.querySelector('[data-testid=channel-count]').textContent.trim() === '32');
  // A .npy whose header declares 2^40 values is refused from its header, with the numbers.
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const text = header + ' '.repeat(pad % 64) + '\n';
  const buf = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, text.length, 0]), Buffer.from(text), Buffer.alloc(64)]);
  await page.setInputFiles('[data-testid=file-input]', { name: 'huge.npy', mimeType: 'application/octet-stream', buffer: buf });
  await page.waitForSelector('[data-testid=error]');
  assert.match(await page.textContent('[data-testid=error]'), /tensor too large: 1099511627776 elements, the limit is 134217728/);
  await page.click('[data-testid=error] button');
  // A real 1 GiB file (sparse on disk): refused by its size before it is read; the tab lives on.
  const big = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'quantlens-')), 'big.npy');
  const small = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }";
  const smallText = small + ' '.repeat((64 - ((10 + small.length + 1) % 64)) % 64) + '\n';
  fs.writeFileSync(big, Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, smallText.length, 0]), Buffer.from(smallText)]));
  fs.truncateSync(big, 1024 * 1024 * 1024);
  await page.setInputFiles('[data-testid=file-input]', big);
  await page.waitForSelector('[data-testid=error]');
  assert.match(await page.textContent('[data-testid=error]'), /big\.npy: file too large: 1.00 GiB \(1073741824 bytes\); the limit is 768 MiB/);
  fs.rmSync(path.dirname(big), { recursive: true });
  await page.click('[data-testid=error] button');
  assert.equal((await page.textContent('[data-testid=channel-count]')).trim(), '32');
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('privacy: after the page has loaded, opening a file makes no network request; the CSP allows no other origin', async () => {
  const page = await open();
  const seen = [];
  page.on('request', (r) => seen.push(r.url()));
  const served = server.requests.length;
  await page.setInputFiles('[data-testid=file-input]', path.join(ROOT, 'tests/fixtures/mixed.safetensors'));
  await page.waitForFunction(() => document.querySelector('[data-testid=tensor-origin]').textContent.includes('mixed.safetensors'));
  await page.selectOption('[data-testid=member-select]', 'conv.bias');
  await page.waitForTimeout(300);
  assert.deepEqual(seen, [], 'requests made after opening a file');
  assert.equal(server.requests.length, served, 'the server saw no request');
  const csp = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /https?:|\*/, 'no other origin is allowed');
  // The policy is enforced: a fetch to another origin is refused by the browser.
  const blocked = await page.evaluate(() => fetch('http://127.0.0.2:9/x').then(() => 'sent', (e) => 'blocked: ' + e.name));
  assert.match(blocked, /^blocked/);
  await page.close();
});

test('screenshot of the default view at HiDPI (docs/screenshot.png)', async () => {
  const page = await open({ deviceScaleFactor: 2, viewport: { width: 1280, height: 1250 } });
  await page.waitForTimeout(300);
  const c = await page.$eval('[data-testid=chart-msqe]', (el) => ({ w: el.width, cw: el.clientWidth }));
  assert.equal(c.w, c.cw * 2, 'canvas backing store is 2x its CSS width at DPR 2');
  fs.mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'docs/screenshot.png'), fullPage: true });
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});
