// `make test` runs one tiny iteration of the page benchmark (bench/page.mjs), so `make bench` cannot
// rot: every measurement runs and yields numbers. It times nothing that is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measurePage, pageMarkdown } from '../../bench/page.mjs';

test('the page benchmark runs one tiny iteration of every measurement', async () => {
  const r = await measurePage({ smoke: true });
  assert.equal(r.engine, 'worker');
  for (const v of [r.firstPaint, r['1 M'].p50, r['16 M'].p95, r.open256, r.read256, r.decode256, r.analysis64]) {
    assert.ok(Number.isFinite(v) && v >= 0, `measurement ${v}`);
  }
  assert.ok(r.memory > 0, 'worker memory');
  assert.ok(r.size.wasmGz > 0 && r.size.normal < r.size.sandboxed, 'sizes');
  const md = pageMarkdown(r);
  assert.match(md, /\| first paint with the default sample/);
  assert.doesNotMatch(md, /NaN|undefined/);
});
