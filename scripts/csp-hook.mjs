// Trunk post-build hook: adds a Content-Security-Policy to the built index.html.
// The policy allows nothing from any other origin: scripts, styles, fetches and images come from
// the page's own origin only, so a tensor the user opens can never be sent anywhere. Trunk's one
// inline loader script is allowed by its sha256 hash (it changes with the hashed file names); the
// analysis worker is that same script, started from a blob: URL the page makes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('csp-hook: TRUNK_STAGING_DIR is not set (run by trunk build)');
const file = path.join(dir, 'index.html');
let html = fs.readFileSync(file, 'utf8');
const hashes = [...html.matchAll(/<script(?: type="module")?>([\s\S]*?)<\/script>/g)]
  .map((m) => `'sha256-${crypto.createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
if (hashes.length === 0) throw new Error('csp-hook: no inline loader script found in index.html');
const policy = [
  "default-src 'none'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`,
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  // The analysis worker starts from a blob: copy of the page's own (hash-allowed) loader script.
  "worker-src blob:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/g, '');
html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    ${meta}`);
fs.writeFileSync(file, html);
console.log(`csp-hook: ${policy}`);
