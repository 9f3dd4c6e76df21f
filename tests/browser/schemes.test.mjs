// Issue 3 in the built app: presets reproduce their framework's arithmetic on real samples, checked
// against independent JavaScript re-implementations of each framework's documented rules (float32
// via Math.fround, float16 via Math.f16round, run in the page's own JS engine); the scheme details
// change the numbers live; bad input in them gets a message and the app keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './server.mjs';
import { launch, newPage } from './browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');

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

/** A little-endian float32 C-order .npy (format 1.0) from assets/samples. */
function readNpy(file) {
  const b = fs.readFileSync(path.join(ROOT, 'assets/samples', file));
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  assert.match(header, /'fortran_order': False/);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length));
  return { shape, data: Array.from(data) };
}

async function open() {
  const page = await newPage(browser);
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=msqe-per-tensor]', { timeout: 30000 });
  return page;
}

async function value(page, testid) {
  return Number(await page.getAttribute(`[data-testid=${testid}]`, 'data-value'));
}

/** Waits until a summary cell's exact value differs from `old`. */
async function changed(page, testid, old) {
  await page.waitForFunction(([t, v]) => {
    const el = document.querySelector(`[data-testid=${t}]`);
    return el && el.dataset.value !== v && !document.querySelector('[data-testid=loading]');
  }, [testid, String(old)], { timeout: 30000 });
}

async function selectSample(page, id) {
  await page.selectOption('[data-testid=sample-select]', id);
  await page.waitForFunction((i) => document.querySelector('[data-testid=sample-select]').value === i
    && !document.querySelector('[data-testid=loading]'), id);
  await page.waitForTimeout(300);
}

// The reference implementations, evaluated in the page: whole-row groups of `g` values per row
// (rows = the leading axis), returning the total MSQE (float64 sum of squared errors / count).
const REFERENCE = `
  const f = Math.fround;
  // Ties to even: Math.round rounds ties up; an odd result at a tie steps back down.
  const rne = (v) => { const r = Math.round(v); return (Math.abs(v % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r; };
  const away = (v) => { const t = Math.trunc(v); return Math.abs(v - t) >= 0.5 ? t + Math.sign(v) : t; };
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
  function groups(data, rows, g, fn) {
    const n = data.length, row = n / rows; let sse = 0;
    for (let r = 0; r < rows; r++) for (let s = 0; s < row; s += g) {
      const x = data.slice(r * row + s, r * row + Math.min(s + g, row));
      const amax = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const v of x) { const xh = fn(v, amax); sse += (v - xh) * (v - xh); }
    }
    return sse / n;
  }
  const rules = {
    // ggml quantize_row_q8_0_ref: d = amax/127, id = 1/d, q = roundf(x*id), stored d = fp16(d).
    ggml: (v, amax) => { const d = f(amax / 127); const id = d ? f(1 / d) : 0;
      const q = clamp(away(f(v * id)), -127, 127); return f(q * Math.f16round(d)); },
    // ONNX Runtime compute_scale_zp at 4 bits symmetric ([-7, 7], float64 scale), QuantizeLinear int4 [-8, 7].
    ort4: (v, amax) => { const s64 = 2 * amax / 14; const s = s64 < 1.1754943508222875e-38 ? 1 : f(s64);
      return f(clamp(rne(f(v / s)), -8, 7) * s); },
    // PyTorch qint8 per_channel_symmetric: scale = max(amax/127.5, eps) in float32, FBGEMM q = nearbyint(x * f32(1/s)).
    torch: (v, amax) => { const s = Math.max(f(f(amax) / 127.5), 2 ** -23); const inv = f(1 / s);
      return f(clamp(rne(f(v * inv)), -128, 127) * s); },
  };
`;

async function reference(page, data, rows, g, rule) {
  return page.evaluate(([src, d, r, gg, name]) => {
    const fn = new Function(`${src}; return (d, r, g) => groups(d, r, g, rules['${name}']);`)();
    return fn(new Float32Array(d), r, gg);
  }, [REFERENCE, data, rows, g, rule]);
}

function close(got, want, label) {
  assert.ok(Number.isFinite(got) && want > 0, `${label}: got ${got}, reference ${want}`);
  assert.ok(Math.abs(got - want) / want < 1e-9, `${label}: page ${got}, reference ${want}`);
}

test('each preset matches an independent re-implementation of its framework on real weights', async () => {
  const page = await open();
  assert.equal(await page.evaluate(() => typeof Math.f16round), 'function', 'Chromium has Math.f16round');

  // ggml Q8_0 on a MiniLM Linear weight [384, 384]: 12 blocks of 32 per row.
  const q = readNpy('all_minilm_l6_v2__layer0_attention_query.npy');
  await selectSample(page, 'all_minilm_l6_v2__layer0_attention_query');
  let old = await value(page, 'msqe-per-group');
  await page.selectOption('[data-testid=preset-select]', 'ggml-q8_0');
  await changed(page, 'msqe-per-group', old);
  close(await value(page, 'msqe-per-group'), await reference(page, q.data, 384, 32, 'ggml'), 'ggml Q8_0 per-group');
  assert.match(await page.textContent('[data-testid=rules]'), /float16/);

  // int4 in groups of 128 on Silero's conv1 [128, 129, 3]: rows of 387 = 3 groups of 128 + one of 3.
  const v = readNpy('silero_vad__conv1.npy');
  await selectSample(page, 'silero_vad__conv1');
  old = await value(page, 'msqe-per-group');
  await page.selectOption('[data-testid=preset-select]', 'int4-g128');
  await changed(page, 'msqe-per-group', old);
  close(await value(page, 'msqe-per-group'), await reference(page, v.data, 128, 128, 'ort4'), 'int4 g128 per-group');
  // Per channel at 4 bits is the same rule with one group per row.
  close(await value(page, 'msqe-per-channel'), await reference(page, v.data, 128, 387, 'ort4'), 'int4 per-channel');

  // PyTorch qint8 per-channel on a PP-OCRv4 conv [24, 96, 3, 3].
  const c = readNpy('ppocrv4_det__conv2d_156_conv3x3.npy');
  await selectSample(page, 'ppocrv4_det__conv2d_156_conv3x3');
  old = await value(page, 'msqe-per-channel');
  await page.selectOption('[data-testid=preset-select]', 'pytorch-qint8');
  await changed(page, 'msqe-per-channel', old);
  close(await value(page, 'msqe-per-channel'), await reference(page, c.data, 24, 864, 'torch'), 'PyTorch per-channel');
  close(await value(page, 'msqe-per-tensor'), await reference(page, c.data, 1, c.data.length, 'torch'), 'PyTorch per-tensor');
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('scheme details change the numbers live; a changed detail makes the preset "custom"; bad input is refused politely', async () => {
  const page = await open();
  await page.click('[data-testid=scheme-details] summary');
  const at8 = await value(page, 'msqe-per-channel');
  await page.selectOption('[data-testid=bits-select]', '4');
  await changed(page, 'msqe-per-channel', at8);
  const at4 = await value(page, 'msqe-per-channel');
  // Four bits fewer: about 2^8 = 256 times the error (Δ grows 16×), within a wide margin.
  assert.ok(at4 / at8 > 50 && at4 / at8 < 1000, `ratio ${at4 / at8}`);
  assert.equal(await page.inputValue('[data-testid=preset-select]'), 'custom');

  // Rounding ties away from zero: still custom, numbers still finite.
  await page.selectOption('[data-testid=rounding-select]', 'away');
  await page.waitForTimeout(200);
  assert.match(await page.textContent('[data-testid=rules]'), /ties away from zero/);

  // Percentile clipping clips something on a real weight; the clipped count shows it.
  await page.selectOption('[data-testid=bits-select]', '8');
  const clippedBefore = await value(page, 'clipped-per-tensor');
  assert.equal(clippedBefore, 0);
  await page.selectOption('[data-testid=method-select]', 'percentile');
  await page.fill('[data-testid=percentile-input]', '99');
  await page.press('[data-testid=percentile-input]', 'Enter');
  await changed(page, 'clipped-per-tensor', clippedBefore);
  const frac = await value(page, 'clipped-per-tensor');
  assert.ok(frac > 0.005 && frac < 0.03, `clipped fraction at p99: ${frac}`);

  // Bad percentile and group size: a message naming what was expected and what was found.
  // (A number field takes no letters: the browser keeps those out; out-of-range numbers get through.)
  await page.fill('[data-testid=percentile-input]', '120');
  await page.press('[data-testid=percentile-input]', 'Enter');
  await page.waitForSelector('text=expected a percentile between 50 and 100, found "120"');
  await page.fill('[data-testid=group-size-input]', '0');
  await page.press('[data-testid=group-size-input]', 'Enter');
  await page.waitForSelector('text=expected a whole number of elements from 1 to 1048576, found "0"');
  await page.fill('[data-testid=group-size-input]', '2000000');
  await page.press('[data-testid=group-size-input]', 'Enter');
  await page.waitForSelector('text=expected a whole number of elements from 1 to 1048576, found "2000000"');
  // Still usable: another preset recomputes everything.
  const before = await value(page, 'msqe-per-tensor');
  await page.selectOption('[data-testid=preset-select]', 'tflite-int8');
  await changed(page, 'msqe-per-tensor', before);
  // Nothing non-finite anywhere on the page.
  const text = await page.textContent('main');
  assert.doesNotMatch(text, /NaN|Infinity|inf\b/);
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('every preset and range method on every sample: finite numbers and drawn charts', async () => {
  const page = await open();
  await page.click('[data-testid=scheme-details] summary');
  const samples = await page.$$eval('[data-testid=sample-select] option', (os) => os.map((o) => o.value));
  const presets = await page.$$eval('[data-testid=preset-select] option:not([disabled])', (os) => os.map((o) => o.value));
  assert.ok(presets.length >= 8);
  for (const s of samples.slice(0, 4)) {
    await selectSample(page, s);
    for (const p of presets) {
      await page.selectOption('[data-testid=preset-select]', p);
      for (const m of ['minmax', 'mse', 'entropy', 'aciq-laplace']) {
        await page.selectOption('[data-testid=method-select]', m);
        await page.waitForTimeout(30);
        for (const g of ['tensor', 'channel', 'group']) {
          const v = await value(page, `msqe-per-${g}`);
          assert.ok(Number.isFinite(v) && v >= 0, `${s} ${p} ${m} ${g}: ${v}`);
        }
      }
    }
  }
  const text = await page.textContent('main');
  assert.doesNotMatch(text, /NaN|Infinity/);
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});
