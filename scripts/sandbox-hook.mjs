// Trunk post-build hook (runs before csp-hook.mjs): makes the built page start inside a sandboxed
// iframe (`sandbox="allow-scripts allow-downloads"`, no allow-same-origin) served by any plain
// static server.
//
// Why: a sandboxed frame has an opaque origin, so to the browser every file of the app is
// cross-origin. Module scripts, fetch() and subresource-integrity checks then need CORS headers
// (Access-Control-Allow-Origin) that plain static servers do not send, and the app would not start.
// Classic <script src> and stylesheets load without CORS, so:
// - the wasm-bindgen glue (an ES module) is inlined into the page's one module script;
// - the .wasm bytes also ship as a classic script, `<name>_bg.wasm.js`, holding them as base64,
//   which the page loads only in an opaque origin (elsewhere it fetches the binary `.wasm`);
// - the stylesheet keeps no `integrity` attribute (its check would need CORS) and the preload
//   links of the module and the wasm go (they would fail the same way);
// - every sample also ships as `samples/<file>.js` (base64), which the app loads when it runs in
//   an opaque origin (src/ui/files.rs), since fetch() cannot read them there.
// Outside a sandbox the page works as before; the CSP still allows scripts from 'self' only.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('sandbox-hook: TRUNK_STAGING_DIR is not set (run by trunk build)');
const indexFile = path.join(dir, 'index.html');
let html = fs.readFileSync(indexFile, 'utf8');

const loader = html.match(/<script type="module">\s*import init, \* as bindings from '\.\/([^']+\.js)';\s*const wasm = await init\(\{ module_or_path: '\.\/([^']+\.wasm)' \}\);[\s\S]*?<\/script>/);
if (!loader) throw new Error("sandbox-hook: Trunk's module loader script was not found in index.html (expected `import init, * as bindings from './NAME.js'` and `await init({ module_or_path: './NAME_bg.wasm' })`)");
const [loaderScript, glueName, wasmName] = loader;
const glue = fs.readFileSync(path.join(dir, glueName), 'utf8');
if (!/export \{ initSync, __wbg_init as default \};/.test(glue)) {
  throw new Error(`sandbox-hook: ${glueName} does not end with wasm-bindgen's \`export { initSync, __wbg_init as default };\``);
}
if (glue.includes('</script')) throw new Error(`sandbox-hook: ${glueName} contains "</script" and cannot be inlined`);
const wasm = fs.readFileSync(path.join(dir, wasmName));
const wasmScript = `${wasmName}.js`;
fs.writeFileSync(path.join(dir, wasmScript), `globalThis.__quantlensWasm="${wasm.toString('base64')}";\n`);

// The same script is also the analysis worker's (src/ui/engine.rs starts it from a blob: copy of
// this very text, made a classic script, which works in an opaque origin too): in a worker it waits for the page's
// compiled module and instantiates it; the Rust side sees the worker scope and serves requests.
const boot = `
// The glue above declares its own top-level names (\`wasm\` among them): this block keeps ours apart.
if (typeof document === 'undefined') {
  const init = await new Promise((resolve) => { self.onmessage = (e) => resolve(e.data); });
  self.onmessage = null;
  try {
    await __wbg_init({ module_or_path: init.module });
  } catch (e) {
    postMessage({ failed: String(e && e.message || e) });
  }
} else {
  // A normal page fetches the binary module; a page in an opaque origin (a sandboxed iframe),
  // where fetch() needs CORS, loads the same bytes as a classic script holding them in base64.
  let bytes = null;
  if (self.origin !== 'null') {
    try {
      const res = await fetch('./${wasmName}');
      if (res.ok) bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) { /* the script below is the fallback */ }
  }
  if (!bytes) {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = './${wasmScript}';
      s.onload = resolve;
      s.onerror = () => reject(new Error('the WebAssembly module (${wasmScript}) did not load'));
      document.head.append(s);
    });
    const b64 = globalThis.__quantlensWasm;
    if (typeof b64 !== 'string') throw new Error('the WebAssembly module (${wasmScript}) did not load');
    delete globalThis.__quantlensWasm;
    const bin = atob(b64);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  const module = await WebAssembly.compile(bytes);
  const me = [...document.scripts].find((s) => s.type === 'module' && s.text.includes('__quantlensWorker'));
  if (me) {
    // A classic worker: Chromium refuses module workers in an opaque origin (a sandboxed iframe)
    // but runs classic ones. So the module text becomes a classic script: no \`export\`, no
    // \`import.meta\`, the top-level awaits inside an async function.
    const classic = me.text
      .replace(/^export \\{[^}]*\\};?$/gm, '')
      .replace(/^export (class|function|const|let|async function) /gm, '$1 ')
      .replaceAll('import.meta.url', 'self.location.href');
    const text = '(async () => {\\n' + classic +
      '\\n})().catch((e) => postMessage({ failed: String(e && e.message || e) }));\\n';
    const url = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
    globalThis.__quantlensWorker = { module, url };
  }
  const instance = await __wbg_init({ module_or_path: module });
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", {detail: {wasm: instance}}));
}
`;
html = html.replace(loaderScript, `<script type="module">\n${glue}\n${boot}</script>`);
html = html.replace(/<link rel="modulepreload"[^>]*>/g, '');
html = html.replace(/<link rel="preload"[^>]*\.wasm"[^>]*>/g, '');
html = html.replace(/(<link rel="stylesheet"[^>]*?)\s+integrity="[^"]*"/g, '$1');
fs.writeFileSync(indexFile, html);
fs.rmSync(path.join(dir, glueName));

const samples = path.join(dir, 'samples');
let n = 0;
for (const f of fs.existsSync(samples) ? fs.readdirSync(samples) : []) {
  if (!f.endsWith('.npy')) continue;
  const b64 = fs.readFileSync(path.join(samples, f)).toString('base64');
  fs.writeFileSync(path.join(samples, `${f}.js`),
    `(globalThis.__quantlensSamples ??= {})[${JSON.stringify(f)}]="${b64}";\n`);
  n++;
}
console.log(`sandbox-hook: inlined ${glueName}, ${wasmName} -> ${wasmScript} (${(wasm.length / 1024).toFixed(0)} KiB), ${n} sample scripts`);
