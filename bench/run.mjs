// make bench: times the kernels natively, as wasm SIMD128 and as scalar wasm under Node, numpy and
// onnxruntime on the same data, and this Node process's memory bandwidth, all in one run; writes
// docs/BENCHMARKS.md. Medians of REPS repetitions (default 7) after one warm-up.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measurePage, pageMarkdown } from './page.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, '.bench');
const REPS = Number(process.env.REPS || 7);
const SIZES = [1 << 20, 16 << 20];
const CHANNELS = 1024;
const PEERS = { numpy: '2.4.6', onnxruntime: '1.32.0', onnx: '1.23.2' };
fs.mkdirSync(WORK, { recursive: true });
const results = [];
const log = (...a) => console.error('[bench]', ...a);
const sh = (cmd, args, opts = {}) => String(execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26, ...opts }) ?? '');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. Native Rust (release profile, as `cargo bench` builds it); also writes the workload for the peers.
log('native');
for (const line of sh('cargo', ['bench', '--bench', 'kernels', '--', '--bench', '--reps', String(REPS), '--write-npy', WORK]).split('\n')) {
  if (line.startsWith('{')) results.push(JSON.parse(line));
}

// 2. The same code as wasm, with and without SIMD128, under this Node process.
function buildWasm(kind) {
  const target = path.join(WORK, `target-${kind}`);
  const out = path.join(WORK, `wasm-${kind}`);
  const env = { ...process.env, CARGO_TARGET_DIR: target, RUSTFLAGS: kind === 'simd' ? '-C target-feature=+simd128' : '-C target-feature=-simd128' };
  const args = ['build', '--release', '--target', 'wasm32-unknown-unknown', '--manifest-path', 'bench/wasm/Cargo.toml'];
  if (kind === 'scalar') args.push('--features', 'scalar');
  sh('cargo', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  sh('wasm-bindgen', ['--target', 'nodejs', '--out-dir', out, path.join(target, 'wasm32-unknown-unknown/release/quantlens_bench_wasm.wasm')]);
  return createRequire(import.meta.url)(path.join(out, 'quantlens_bench_wasm.js'));
}
for (const kind of ['simd', 'scalar']) {
  log(`wasm ${kind}`);
  const m = buildWasm(kind);
  if (m.simd128() !== (kind === 'simd')) throw new Error(`wasm ${kind}: simd128() is ${m.simd128()}`);
  const names = m.op_names();
  for (const n of SIZES) {
    const b = new m.Bench(n, CHANNELS);
    names.forEach((op, i) => {
      b.run(i);
      const times = [];
      for (let r = 0; r < REPS; r++) {
        const t = performance.now();
        if (Number.isNaN(b.run(i))) throw new Error(op);
        times.push((performance.now() - t) / 1000);
      }
      results.push({ impl: `wasm-${kind}`, n, op, median_s: median(times), reps: REPS });
    });
    b.free();
  }
}

// 3. Memory bandwidth of this process: copying a buffer the size of the tensor (read + write).
for (const n of SIZES) {
  const src = new Float32Array(n).fill(1.5);
  const dst = new Float32Array(n);
  dst.set(src);
  const times = [];
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    dst.set(src);
    times.push((performance.now() - t) / 1000);
  }
  results.push({ impl: 'node-copy', n, op: 'copy the tensor (memory bandwidth)', median_s: median(times), reps: REPS });
}

// 4. Peers from PyPI in a local virtualenv.
const venv = path.join(WORK, 'venv');
const py = path.join(venv, 'bin', 'python');
if (!fs.existsSync(py)) sh('python3', ['-m', 'venv', venv]);
const have = spawnSync(py, ['-c', 'import numpy, onnxruntime, onnx; print(numpy.__version__, onnxruntime.__version__, onnx.__version__)']).stdout?.toString().trim();
if (have !== `${PEERS.numpy} ${PEERS.onnxruntime} ${PEERS.onnx}`) {
  log('installing peers', JSON.stringify(PEERS));
  sh(py, ['-m', 'pip', 'install', '--quiet', ...Object.entries(PEERS).map(([k, v]) => `${k}==${v}`)], { stdio: ['ignore', 'inherit', 'inherit'] });
}
for (const n of SIZES) {
  log(`peers n=${n}`);
  // OpenBLAS variables are left as they are: these numpy paths use no BLAS.
  for (const line of sh(py, [path.join(ROOT, 'bench/peers.py'), path.join(WORK, `workload_${n}.npy`), String(REPS)]).split('\n')) {
    if (line.startsWith('{')) results.push(JSON.parse(line));
  }
}
// 5. The page itself in headless Chromium (bench/page.mjs; needs the release build in dist/).
log('page in Chromium');
const page = await measurePage();
fs.writeFileSync(path.join(WORK, 'results.json'), JSON.stringify({ kernels: results, page }, null, 1));

// 6. docs/BENCHMARKS.md
const get = (impl, n, op) => results.find((r) => r.impl === impl && r.n === n && r.op === op)?.median_s;
const ms = (s) => (s === undefined ? '—' : s < 0.001 ? `${(s * 1000).toFixed(3)} ms` : `${(s * 1000).toFixed(2)} ms`);
const x = (a, b) => (a === undefined || b === undefined ? '—' : `${(b / a).toFixed(2)}×`);
const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || os.cpus()[0]?.model;
const rustc = sh('rustc', ['--version']).trim();
const ops = [...new Set(results.filter((r) => r.impl === 'native').map((r) => r.op))];
let md = `# Benchmarks

Produced by \`make bench\` (\`node bench/run.mjs\`) in one run on ${new Date().toISOString().slice(0, 10)}; medians of ${REPS}
repetitions after a warm-up. Every figure in a table was measured in that same run, side by side.

- Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${rustc}; Node ${process.version};
  numpy ${PEERS.numpy}, onnxruntime ${PEERS.onnxruntime} (CPU, one intra-op thread) from PyPI in \`.bench/venv\`.
- Data: ${CHANNELS} channels with ranges spread over three decades (\`quantlens::bench::workload\`), float32,
  written to \`.bench/workload_N.npy\` so the peers time the same numbers. Symmetric int8, scale = max|x|/127.
- wasm SIMD128 and wasm scalar are the same Rust code (\`bench/wasm\`) built with and without \`+simd128\`,
  loaded in this Node process; native is \`cargo bench --bench kernels\` (release, LTO).
- Bandwidth: copying a buffer the size of the tensor in this Node process (\`TypedArray.set\`, read + write);
  "share of bandwidth" compares bytes of tensor processed per second with bytes copied per second.

`;
for (const n of SIZES) {
  const label = n === 1 << 20 ? '1 M' : '16 M';
  md += `\n## ${label} weights (${(n * 4 / 2 ** 20).toFixed(0)} MiB of float32)\n\n`;
  md += '| operation | native | wasm SIMD128 | wasm scalar | SIMD / scalar | numpy | onnxruntime |\n|---|---:|---:|---:|---:|---:|---:|\n';
  for (const op of ops) {
    const [nat, simd, sca, np, ortt] = ['native', 'wasm-simd', 'wasm-scalar', 'numpy', 'onnxruntime'].map((i) => get(i, n, op));
    md += `| ${op} | ${ms(nat)} | ${ms(simd)} | ${ms(sca)} | ${x(simd, sca)} | ${ms(np)} | ${ms(ortt)} |\n`;
  }
  md += `| copy the tensor (memory bandwidth) | | ${ms(get('node-copy', n, 'copy the tensor (memory bandwidth)'))} | | | | |\n`;
}
const key = 'quantize + dequantize + error, per-channel';
const N = 16 << 20;
const s = get('wasm-simd', N, key);
const copy = get('node-copy', N, 'copy the tensor (memory bandwidth)');
// Bytes of tensor streamed per second by the kernel (it reads 4N bytes) over bytes copied per second (8N).
const share = copy && s ? (4 * N / s) / (8 * N / copy) : undefined;
const rows = [
  ['SIMD128 vs scalar wasm', x(s, get('wasm-scalar', N, key)), '≥ 4×'],
  ['SIMD128 vs onnxruntime (native)', x(s, get('onnxruntime', N, key)), '≥ 0.5×'],
  ['SIMD128 vs numpy', x(s, get('numpy', N, key)), '≥ 5×'],
  ['SIMD128 share of measured bandwidth', share === undefined ? '—' : `${(100 * share).toFixed(0)} %`, '≥ 50 %'],
];
md += `\n## Targets: ${key}, 16 M weights\n\n| ratio | measured | target |\n|---|---:|---:|\n`;
for (const [a, b, c] of rows) md += `| ${a} | ${b} | ${c} |\n`;
md += `\nRatios above 1× mean quantlens' SIMD128 kernel is faster. Raw numbers: \`.bench/results.json\` (not committed).\n`;
md += `\n${pageMarkdown(page)}`;
fs.mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
// Hand-written reading of the numbers below the marker survives a rerun (update it to match).
const out = path.join(ROOT, 'docs/BENCHMARKS.md');
const MARK = '<!-- notes: kept across runs -->';
const old = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
if (old.includes(MARK)) md += `\n${old.slice(old.indexOf(MARK))}`;
fs.writeFileSync(out, md);
console.log(md);
