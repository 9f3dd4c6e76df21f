// Helpers shared by the share, embed and export browser tests.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');

/** Waits until `target` (a page or a frame) shows the numbers of a loaded tensor. Polls on a
 * timer: an iframe out of view gets no animation frames. */
export async function ready(target) {
  await target.waitForSelector('[data-testid=msqe-per-tensor]', { timeout: 30000 });
  await target.waitForFunction(() => !document.querySelector('[data-testid=loading]'), null, { polling: 100, timeout: 30000 });
  await settled(target);
}

/** Waits until the analysis worker has answered every request asked so far (`data-busy` is set on
 * `<body>` while one is out) and every chart has drawn it (`data-drawing`). Call it after a control
 * change, before reading numbers. */
export async function settled(target) {
  await target.waitForFunction(() => document.body.dataset.asked && !document.body.hasAttribute('data-busy')
    && !document.body.hasAttribute('data-drawing'),
    null, { polling: 50, timeout: 30000 });
}

/** The exact value behind a displayed number (its data-value attribute). */
export async function value(target, testid) {
  return Number(await target.getAttribute(`[data-testid=${testid}]`, 'data-value'));
}

/** Everything a shared link must reproduce: numbers, control values, theme. */
export async function snapshot(target) {
  return target.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid=${id}]`);
    const v = (id) => q(id)?.value;
    return {
      msqeT: q('msqe-per-tensor')?.dataset.value,
      msqeC: q('msqe-per-channel')?.dataset.value,
      sqnrT: q('sqnr-per-tensor')?.dataset.value,
      selected: q('selected-channel')?.textContent,
      origin: q('tensor-origin')?.textContent,
      sample: v('sample-select'), preset: v('preset-select'), axis: v('axis-select'),
      channel: v('channel-input'), theme: document.documentElement.dataset.theme,
    };
  });
}

const PINNED_NUMPY = '2.4.6'; // the version make bench uses (bench/run.mjs)

/**
 * A Python that has numpy: the system's if it has one, else `.bench/venv` (shared with make bench),
 * created and given numpy from PyPI if missing. Idempotent: a second call finds it at once.
 */
export function pythonWithNumpy() {
  const has = (py) => spawnSync(py, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
  if (has('python3')) return 'python3';
  const venv = path.join(ROOT, '.bench', 'venv');
  const py = path.join(venv, 'bin', 'python');
  if (fs.existsSync(py) && has(py)) return py;
  if (!fs.existsSync(py)) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(py, ['-m', 'pip', 'install', '--quiet', `numpy==${PINNED_NUMPY}`], { stdio: 'inherit' });
  return py;
}
