// Exports open in the tools people use: the CSV parses as a table whose figures add up to the
// page's, the JSON parses and records the setting, numpy reads the .npz and dequantizing it gives
// the page's error figures, the SVG opens in the browser, the PNG is at device resolution.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from './server.mjs';
import { launch, newPage } from './browser.mjs';
import { DIST, ready, value, pythonWithNumpy } from './helpers.mjs';

let server, browser, tmp;
before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'dist/ is missing: run `make build` first');
  server = await serve(DIST, '/docs/quantlens/');
  browser = await launch();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quantlens-export-'));
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Clicks `selector` (in `target`, a page or frame) and returns the download's name and bytes. */
async function download(page, target, selector) {
  const [d] = await Promise.all([page.waitForEvent('download'), target.click(selector)]);
  const file = path.join(tmp, d.suggestedFilename());
  await d.saveAs(file);
  return { name: d.suggestedFilename(), file, bytes: fs.readFileSync(file) };
}

/** A minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

test('CSV and JSON of the per-channel statistics agree with the page', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}?sample=silero_vad__conv1&preset=ort-uint8`);
  await ready(page);
  const msqeT = await value(page, 'msqe-per-tensor');
  const msqeC = await value(page, 'msqe-per-channel');

  const csv = await download(page, page, '[data-testid=export-csv]');
  assert.equal(csv.name, 'quantlens_silero_vad__conv1_ort-uint8_axis0_channels.csv');
  const rows = parseCsv(csv.bytes.toString('utf8'));
  const [header, ...data] = rows;
  assert.deepEqual(header.slice(0, 4), ['channel', 'elements', 'finite', 'min']);
  assert.equal(data.length, 128, 'one row per channel');
  assert.ok(data.every((r) => r.length === header.length), 'every row has every column');
  const col = (name) => header.indexOf(name);
  // The whole tensor's MSQE is the finite-count-weighted mean of the channels'.
  const total = (c) => data.reduce((s, r) => s + Number(r[col(c)]) * Number(r[col('finite')]), 0)
    / data.reduce((s, r) => s + Number(r[col('finite')]), 0);
  assert.ok(Math.abs(total('msqe_per_tensor') - msqeT) / msqeT < 1e-9, `per-tensor ${total('msqe_per_tensor')} vs ${msqeT}`);
  assert.ok(Math.abs(total('msqe_per_channel') - msqeC) / msqeC < 1e-9);
  assert.ok(data.every((r) => Number(r[col('zero_point')]) >= 0 && Number(r[col('zero_point')]) <= 255));

  const json = await download(page, page, '[data-testid=export-json]');
  const j = JSON.parse(json.bytes.toString('utf8'));
  assert.equal(j.meta.scheme, 'ort-uint8');
  assert.equal(j.meta.spec.convention, 'ort');
  assert.equal(j.per_group.groups, j.channels.reduce((s, c) => s + c.groups, 0));
  assert.deepEqual(j.meta.shape, [128, 129, 3]);
  assert.equal(j.meta.axis, 0);
  assert.equal(j.meta.source.id, 'silero_vad__conv1');
  assert.equal(j.meta.spec.signed, false);
  assert.equal(j.per_tensor.errors.msqe, msqeT, 'full precision: the same float64');
  assert.equal(j.per_channel.errors.msqe, msqeC);
  assert.equal(j.channels.length, 128);
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('numpy reads the .npz; dequantizing it reproduces the page\'s error figures (int8, uint8, int4 groups)', async () => {
  const py = pythonWithNumpy();
  const page = await newPage(browser);
  for (const [scheme, dtype, sample] of [['ort-int8', 'int8', 'efficientnet_lite0__blocks7_depthwise_conv'],
    ['ort-uint8', 'uint8', 'efficientnet_lite0__blocks7_depthwise_conv'], ['int4-g128', 'int8', 'silero_vad__conv1']]) {
    await page.goto(`${server.url}?sample=${sample}&preset=${scheme}`);
    await ready(page);
    const want = {
      msqe_per_tensor: await value(page, 'msqe-per-tensor'),
      msqe_per_channel: await value(page, 'msqe-per-channel'),
      msqe_per_group: await value(page, 'msqe-per-group'),
    };
    const npz = await download(page, page, '[data-testid=export-npz]');
    assert.match(npz.name, new RegExp(`_${scheme}_axis0_quantized\\.npz$`));
    const check = `
import json, sys
import numpy as np
z = np.load(sys.argv[1])
x = np.load(sys.argv[2]).astype(np.float32)
meta = json.loads(str(z['meta']))
axis = int(z['axis'])
out = {'dtype': str(z['codes_per_channel'].dtype), 'shape': list(z['codes_per_channel'].shape),
       'scheme': meta['scheme'], 'axis': axis, 'files': sorted(z.files)}
shape = [1] * x.ndim; shape[axis] = -1
for g, s, zp in [('per_tensor', z['scale_per_tensor'], z['zero_point_per_tensor']),
                 ('per_channel', z['scale_per_channel'].reshape(shape), z['zero_point_per_channel'].reshape(shape))]:
    q = z['codes_' + g].astype(np.int32)
    xh = (q - zp.astype(np.int32)).astype(np.float32) * s.astype(np.float32)
    out['msqe_' + g] = float(np.mean((x.astype(np.float64) - xh.astype(np.float64)) ** 2))
# Per group (whole rows, channels on axis 0): each row's groups are runs of group_size values.
G = meta['group_size']
rows = x.reshape(x.shape[0], -1)
q = z['codes_per_group'].astype(np.int32).reshape(rows.shape)
s = np.repeat(z['scale_per_group'], G, axis=1)[:, :rows.shape[1]]
zp = np.repeat(z['zero_point_per_group'].astype(np.int32), G, axis=1)[:, :rows.shape[1]]
xh = (q - zp).astype(np.float32) * s.astype(np.float32)
out['msqe_per_group'] = float(np.mean((rows.astype(np.float64) - xh.astype(np.float64)) ** 2))
print(json.dumps(out))
`;
    const file = path.join(DIST, 'samples', `${sample}.npy`);
    const got = JSON.parse(execFileSync(py, ['-c', check, npz.file, file]).toString());
    assert.equal(got.dtype, dtype);
    assert.deepEqual(got.shape, sample.startsWith('silero') ? [128, 129, 3] : [480, 1, 3, 3]);
    assert.equal(got.scheme, scheme);
    assert.equal(got.axis, 0);
    assert.deepEqual(got.files, ['axis', 'codes_per_channel', 'codes_per_group', 'codes_per_tensor', 'meta',
      'scale_per_channel', 'scale_per_group', 'scale_per_tensor', 'zero_point_per_channel', 'zero_point_per_group',
      'zero_point_per_tensor']);
    for (const k of ['msqe_per_tensor', 'msqe_per_channel', 'msqe_per_group']) {
      assert.ok(Math.abs(got[k] - want[k]) / want[k] < 1e-9, `${scheme} ${k}: numpy ${got[k]}, page ${want[k]}`);
    }
  }
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});

test('each chart as SVG opens in the browser; as PNG at device resolution', async () => {
  const page = await newPage(browser, { deviceScaleFactor: 2 });
  await page.goto(server.url);
  await ready(page);
  for (const id of ['chart-ranges', 'chart-msqe', 'chart-tensor-hist', 'chart-channel-hist']) {
    const svg = await download(page, page, `[data-testid=${id}-svg]`);
    assert.match(svg.name, /\.svg$/);
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.nodeName,
        texts: doc.querySelectorAll('text').length,
        shapes: doc.querySelectorAll('path, rect, line, polyline, circle').length,
      };
    }, svg.bytes.toString('utf8'));
    assert.equal(parsed.error, null, `${id}: the SVG parses`);
    assert.equal(parsed.root, 'svg');
    assert.ok(parsed.texts > 3 && parsed.shapes > 10, `${id}: ${JSON.stringify(parsed)}`);
    // And it renders as an image.
    const img = await browser.newPage();
    await img.setContent(`<img src="data:image/svg+xml;base64,${svg.bytes.toString('base64')}">`);
    const w = await img.$eval('img', (i) => i.decode().then(() => i.naturalWidth));
    assert.ok(w > 300, `${id}: the SVG renders (${w} px wide)`);
    await img.close();
  }
  const png = await download(page, page, '[data-testid=chart-msqe-png]');
  assert.deepEqual([...png.bytes.subarray(1, 4)], [...Buffer.from('PNG')]);
  const width = png.bytes.readUInt32BE(16);
  const canvas = await page.$eval('[data-testid=chart-msqe]', (c) => ({ w: c.width, cw: c.clientWidth }));
  assert.equal(width, canvas.w, 'the PNG has the canvas\'s device pixels');
  assert.equal(width, canvas.cw * 2);
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});
