/**
 * The playground's Web Worker: loads the WebAssembly SIMD kernels (the TypeScript ones where the
 * browser lacks WebAssembly SIMD), builds the network the page asks for and trains it in slices
 * of about 30 ms, posting a snapshot after each slice so the page redraws at ~30 frames a second
 * while the worker does the arithmetic.
 */
import type { Kernels } from '../../kernels/kernels.js';
import { tsKernels } from '../../kernels/ts-kernels.js';
import { compileWasmKernels, wasmSimdSupported } from '../../kernels/wasm-kernels.js';
import type { RawMnist } from '../../data/mnist.js';
import { PlaygroundSession } from '../session.js';
import type { PlaygroundSetup } from '../setup.js';
import type { FromWorker, ToWorker } from './messages.js';
import { decodeDigits } from '../digits.js';

/** The worker's global scope, as far as this file uses it (the DOM library types `self` as a window). */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Milliseconds of training between two snapshots. */
const sliceMilliseconds = 30;

let kernels: Kernels = tsKernels;
let digits: RawMnist | null = null;
let session: PlaygroundSession | null = null;
let playing = false;
let timer: ReturnType<typeof setTimeout> | null = null;
/** Steps and time of the current run of play, for steps per second. */
let rate: { steps: number; milliseconds: number } = { steps: 0, milliseconds: 0 };

async function loadKernels(): Promise<void> {
  if (!wasmSimdSupported() || new URLSearchParams(self.location.search).get('kernels') === 'ts') return;
  try {
    const response = await fetch(new URL('kernels.wasm', self.location.href));
    kernels = await compileWasmKernels(await response.arrayBuffer());
  } catch {
    kernels = tsKernels;
  }
}

async function loadDigits(): Promise<RawMnist> {
  if (digits !== null) return digits;
  const response = await fetch(new URL('mnist-digits.bin', self.location.href));
  digits = decodeDigits(new Uint8Array(await response.arrayBuffer()));
  return digits;
}

function post(): void {
  if (session === null) return;
  const stepsPerSecond = rate.milliseconds > 0 ? (rate.steps * 1000) / rate.milliseconds : null;
  scope.postMessage({ type: 'snapshot', snapshot: session.snapshot(), playing, stepsPerSecond });
}

function trainSlice(): void {
  timer = null;
  if (!playing || session === null) return;
  const started = performance.now();
  let trained = 0;
  while (performance.now() - started < sliceMilliseconds && session.step()) trained++;
  rate = { steps: rate.steps + trained, milliseconds: rate.milliseconds + (performance.now() - started) };
  if (session.stopped) playing = false;
  post();
  // A zero timeout lets the next message (pause, reset) in between slices.
  if (playing) timer = setTimeout(trainSlice, 0);
}

async function reset(setup: PlaygroundSetup): Promise<void> {
  playing = false;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  rate = { steps: 0, milliseconds: 0 };
  try {
    session = new PlaygroundSession(setup, kernels, setup.task === 'mnist' ? await loadDigits() : null);
  } catch (error) {
    session = null;
    scope.postMessage({ type: 'problem', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  post();
}

// Messages are handled one after another, each after the one before has finished (a reset waits for the digits).
let queue: Promise<void> = loadKernels().then(() => scope.postMessage({ type: 'ready', kernels: kernels.name }));

scope.onmessage = (event) => {
  const message = event.data;
  queue = queue.then(async () => {
    switch (message.type) {
      case 'reset':
        await reset(message.setup);
        break;
      case 'play':
        if (session !== null && !session.stopped && !playing) {
          playing = true;
          timer = setTimeout(trainSlice, 0);
        }
        break;
      case 'pause':
        playing = false;
        post();
        break;
      case 'step':
        playing = false;
        session?.step();
        post();
        break;
    }
  });
};
