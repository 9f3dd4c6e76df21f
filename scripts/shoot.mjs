// Screenshots of the built app (dist/) for looking at it: `node scripts/shoot.mjs OUTDIR [preset…]`.
// Not a test; the browser tests check behaviour. Each shot: full page at 1280 px, DPR 1.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../tests/browser/server.mjs';
import { launch, newPage } from '../tests/browser/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] || '/tmp/shots';
const presets = process.argv.slice(3);
const server = await serve(path.join(ROOT, 'dist'), '/');
const browser = await launch();
const page = await newPage(browser, { viewport: { width: 1280, height: 1000 } });
await page.goto(server.url);
await page.waitForSelector('[data-testid=msqe-per-tensor]', { timeout: 30000 });
await page.waitForTimeout(500);
await page.screenshot({ path: path.join(out, 'default.png'), fullPage: true });
await page.click('[data-testid=scheme-details] summary');
await page.click('[data-testid=rules] summary');
await page.screenshot({ path: path.join(out, 'details.png'), clip: { x: 0, y: 0, width: 1280, height: 900 } });
for (const p of presets) {
  const [id, method] = p.split(':');
  await page.selectOption('[data-testid=preset-select]', id);
  if (method) {
    await page.click('[data-testid=scheme-details] summary');
    await page.selectOption('[data-testid=method-select]', method);
  }
  await page.waitForTimeout(800);
  await page.screenshot({ path: path.join(out, `${p.replace(':', '-')}.png`), fullPage: true });
}
console.log(page.problems.length ? page.problems.join('\n') : 'no console errors');
await browser.close();
await server.close();
