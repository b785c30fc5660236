/**
 * Builds the RNN playground into a static folder (`npm run playground`; also part of
 * `npm run build`): index.html, style.css, page.js and worker.js bundled by esbuild from
 * src/playground/browser/, the WebAssembly kernels (wasm/kernels.wasm) and 2,000 MNIST digits.
 * Every path in it is relative and nothing is fetched from outside the folder, so any static host
 * serves it (`npx vanishing playground` serves it on 127.0.0.1).
 *
 *   node --import tsx tools/build-playground.ts [--out dist/playground]
 *
 * The bundle holds the same model, trainer and diagnosis modules as the command line. The one
 * module swapped is the kernel choice (src/kernels/select.ts, which loads the Node addon): in the
 * page the worker picks its kernels itself and passes them to the model.
 */
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { loadRawMnist } from '../src/data/mnist-package.js';
import { balancedSubset, encodeDigits } from '../src/playground/digits.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const browserSources = join(root, 'src', 'playground', 'browser');
/** Digits per class shipped with the page: 2,000 in all, 1.6 MB. */
const digitsPerClass = 200;

/** Resolves the engine's kernel choice to the page's, which never loads a Node addon. */
const browserKernelChoice: Plugin = {
  name: 'browser-kernel-choice',
  setup(builder) {
    builder.onResolve({ filter: /kernels\/select\.js$/ }, () => ({ path: join(browserSources, 'select-kernels.ts') }));
  },
};

export async function buildPlayground(out: string): Promise<void> {
  // Built beside the target and renamed over it: a server never sees half a playground.
  const staging = `${out}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    await build({
      entryPoints: { page: join(browserSources, 'page.ts'), worker: join(browserSources, 'worker.ts') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome100', 'firefox100', 'safari16'],
      outdir: staging,
      minify: true,
      sourcemap: true,
      plugins: [browserKernelChoice],
      logLevel: 'warning',
      // A Node module reaching the bundle is an error here, not a broken page later.
      external: [],
    });
    for (const file of ['index.html', 'style.css']) copyFileSync(join(browserSources, 'static', file), join(staging, file));
    copyFileSync(join(root, 'wasm', 'kernels.wasm'), join(staging, 'kernels.wasm'));
    writeFileSync(join(staging, 'mnist-digits.bin'), encodeDigits(balancedSubset(loadRawMnist(), digitsPerClass)));
    rmSync(out, { recursive: true, force: true });
    mkdirSync(dirname(out), { recursive: true });
    renameSync(staging, out);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'dist', 'playground') } }, strict: true });
  const out = resolve(values.out);
  await buildPlayground(out);
  console.log(`playground built into ${out}`);
}
