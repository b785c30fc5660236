/**
 * The playground page: the settings form, the buttons and the views. The network lives in the
 * worker (worker.ts); every change of a setting rebuilds it there from the seed (as TensorFlow
 * Playground does: a fair comparison starts from the same weights) and writes the whole setup
 * into the URL hash, so the address bar is always a link to what is on the screen.
 */
import type { PlaygroundSnapshot } from '../session.js';
import type { PlaygroundSetup } from '../setup.js';
import { playgroundChoices, playgroundRanges, setupFromHash, setupToHash } from '../setup.js';
import { drawDepth, drawHeatmap, drawHeatmapLegend, drawInputGradient, drawLoss, drawSaturation, heatmapCellAt } from './views.js';
import type { FromWorker, ToWorker } from './messages.js';

function element<T extends HTMLElement | SVGSVGElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

// `?kernels=ts` runs the reference TypeScript kernels instead of WebAssembly (to compare their speed).
const workerUrl = new URL('worker.js', import.meta.url);
workerUrl.search = location.search;
const worker = new Worker(workerUrl, { type: 'module' });
const send = (message: ToWorker): void => worker.postMessage(message);

const initial = setupFromHash(location.hash);
let setup: PlaygroundSetup = initial.setup;
let playing = false;
let latest: PlaygroundSnapshot | null = null;

/** Labels of the choices, where the value alone says too little. */
const choiceLabels: Record<string, string> = {
  'rnn-tanh': 'RNN tanh', 'rnn-relu': 'RNN ReLU', lstm: 'LSTM', gru: 'GRU',
  vanilla: 'vanilla stack', residual: 'residual (the original’s)',
  default: 'PyTorch default', xavier: 'Xavier', he: 'He', orthogonal: 'orthogonal', identity: 'identity (IRNN)',
  adding: 'adding problem', copy: 'copy memory', temporal_order: 'temporal order', mnist: 'row MNIST (2,000 digits)',
  sgd: 'SGD', adam: 'Adam', none: 'none', max_norm: 'clip to max norm', min_norm: 'min-norm rescale (original)',
};

type Control =
  | { field: keyof typeof playgroundChoices; label: string; kind: 'choice' }
  | { field: 'layers' | 'width' | 'gain' | 'length' | 'batchSize' | 'seed'; label: string; kind: 'range' | 'number'; step: number }
  | { field: 'learningRate' | 'clipNorm'; label: string; kind: 'log' }
  | { field: 'forgetBias'; label: string; kind: 'forget' };

const sections: { legend: string; controls: Control[] }[] = [
  {
    legend: 'Network',
    controls: [
      { field: 'cell', label: 'Cell', kind: 'choice' },
      { field: 'architecture', label: 'Architecture', kind: 'choice' },
      { field: 'layers', label: 'Depth (layers)', kind: 'range', step: 1 },
      { field: 'width', label: 'Width (units)', kind: 'range', step: 4 },
      { field: 'init', label: 'Initialisation', kind: 'choice' },
      { field: 'gain', label: 'Recurrent gain (W_hh ×)', kind: 'range', step: 0.05 },
      { field: 'forgetBias', label: 'LSTM forget bias', kind: 'forget' },
    ],
  },
  {
    legend: 'Task',
    controls: [
      { field: 'task', label: 'Task', kind: 'choice' },
      { field: 'length', label: 'Sequence length T', kind: 'range', step: 5 },
    ],
  },
  {
    legend: 'Training',
    controls: [
      { field: 'optimizer', label: 'Optimizer', kind: 'choice' },
      { field: 'learningRate', label: 'Learning rate', kind: 'log' },
      { field: 'clipping', label: 'Clipping', kind: 'choice' },
      { field: 'clipNorm', label: 'Clipping norm', kind: 'log' },
      { field: 'batchSize', label: 'Batch size', kind: 'number', step: 1 },
      { field: 'seed', label: 'Seed', kind: 'number', step: 1 },
    ],
  },
];

/** Log sliders move in 1/20 of a decade. */
const logSteps = 20;

function showValue(value: number | null): string {
  if (value === null) return 'init’s';
  return Math.abs(value) >= 0.01 || value === 0 ? String(Number(value.toPrecision(3))) : value.toExponential(1);
}

/** Builds the form once; `syncForm` shows a setup in it. */
function buildForm(): void {
  const form = element<HTMLFormElement>('settings');
  for (const section of sections) {
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = section.legend;
    fieldset.append(legend);
    for (const control of section.controls) {
      const label = document.createElement('label');
      label.htmlFor = `setting-${control.field}`;
      label.textContent = control.label;
      const shown = document.createElement('output');
      shown.id = `shown-${control.field}`;
      label.append(shown);
      fieldset.append(label);
      if (control.kind === 'choice') {
        const select = document.createElement('select');
        select.id = `setting-${control.field}`;
        select.name = control.field;
        for (const choice of playgroundChoices[control.field]) {
          const option = document.createElement('option');
          option.value = choice;
          option.textContent = choiceLabels[choice] ?? choice;
          select.append(option);
        }
        select.addEventListener('change', () => change({ [control.field]: select.value }));
        fieldset.append(select);
        continue;
      }
      const input = document.createElement('input');
      input.id = `setting-${control.field}`;
      input.name = control.field;
      if (control.kind === 'log') {
        const range = playgroundRanges[control.field];
        input.type = 'range';
        input.min = String(Math.round(Math.log10(range.minimum) * logSteps));
        input.max = String(Math.round(Math.log10(range.maximum) * logSteps));
        input.step = '1';
        input.addEventListener('input', () => change({ [control.field]: Number((10 ** (Number(input.value) / logSteps)).toPrecision(2)) }));
      } else if (control.kind === 'forget') {
        const range = playgroundRanges.forgetBias;
        input.type = 'range';
        // The slider's lowest notch is "the init's own bias" (null).
        input.min = String(range.minimum - 1);
        input.max = String(range.maximum);
        input.step = '1';
        input.addEventListener('input', () => change({ forgetBias: Number(input.value) < range.minimum ? null : Number(input.value) }));
      } else {
        const range = playgroundRanges[control.field];
        input.type = control.kind;
        input.min = String(range.minimum);
        input.max = String(range.maximum);
        input.step = String(control.step);
        input.addEventListener(control.kind === 'range' ? 'input' : 'change', () => {
          const value = Number(input.value);
          if (Number.isFinite(value) && value >= range.minimum && value <= range.maximum) change({ [control.field]: value });
        });
      }
      fieldset.append(input);
    }
    form.append(fieldset);
  }
}

function syncForm(): void {
  for (const section of sections) {
    for (const control of section.controls) {
      const input = element<HTMLInputElement | HTMLSelectElement>(`setting-${control.field}`);
      const value = setup[control.field];
      const shown = element<HTMLOutputElement>(`shown-${control.field}`);
      if (control.kind === 'choice') {
        input.value = String(value);
        shown.textContent = '';
      } else if (control.kind === 'log') {
        input.value = String(Math.round(Math.log10(Number(value)) * logSteps));
        shown.textContent = showValue(Number(value));
      } else if (control.kind === 'forget') {
        input.value = String(value === null ? playgroundRanges.forgetBias.minimum - 1 : value);
        shown.textContent = showValue(value as number | null);
        input.disabled = setup.cell !== 'lstm';
      } else {
        input.value = String(value);
        shown.textContent = control.kind === 'range' ? showValue(Number(value)) : '';
      }
    }
  }
  element<HTMLInputElement>('setting-clipNorm').disabled = setup.clipping === 'none';
  element<HTMLInputElement>('setting-length').disabled = setup.task === 'mnist';
  const identity = element<HTMLSelectElement>('setting-init').querySelector<HTMLOptionElement>('option[value=identity]');
  if (identity !== null) identity.disabled = setup.cell === 'lstm' || setup.cell === 'gru';
}

function change(partial: Partial<PlaygroundSetup>): void {
  setup = { ...setup, ...partial };
  // IRNN's identity start exists for the Elman cell only: a gated cell takes the default.
  if (setup.init === 'identity' && (setup.cell === 'lstm' || setup.cell === 'gru')) setup.init = 'default';
  reset();
}

function reset(): void {
  const hash = setupToHash(setup);
  history.replaceState(null, '', hash);
  element<HTMLAnchorElement>('share-link').href = hash;
  syncForm();
  latest = null;
  pageState.snapshot = null;
  pageState.setup = setup;
  element('notice').hidden = true;
  send({ type: 'reset', setup });
  if (playing) send({ type: 'play' });
}

function showPlaying(): void {
  element<HTMLButtonElement>('play').textContent = playing ? '❚❚ Pause' : '▶ Play';
}

/** The page's state for a console or a test: `vanishingPlayground.snapshot` is what is drawn. */
interface PageState {
  setup: PlaygroundSetup;
  snapshot: PlaygroundSnapshot | null;
  kernels: string | null;
}
const pageState: PageState = { setup, snapshot: null, kernels: null };
(window as unknown as { vanishingPlayground: PageState }).vanishingPlayground = pageState;

function render(snapshot: PlaygroundSnapshot, stepsPerSecond: number | null): void {
  latest = snapshot;
  pageState.snapshot = snapshot;
  pageState.setup = setup;
  element<HTMLOutputElement>('first-step').textContent = snapshot.first === null ? '–' : `loss ${snapshot.first.loss.toPrecision(7)}, ‖∇‖ ${snapshot.first.totalGradientNorm.toPrecision(7)}`;
  element<HTMLOutputElement>('step-count').textContent = String(snapshot.step);
  element<HTMLOutputElement>('epoch-count').textContent = String(snapshot.epoch);
  element<HTMLOutputElement>('speed').textContent = stepsPerSecond === null ? '–' : `${stepsPerSecond.toFixed(1)} steps/s`;
  element<HTMLOutputElement>('kernels').textContent = snapshot.kernels;
  element('task-description').textContent = `Task: ${snapshot.description}.${snapshot.chance !== null ? ` Chance: ${snapshot.chance.description}.` : ''}`;
  const verdict = snapshot.verdict;
  const kind = element('verdict-kind');
  kind.textContent = verdict?.kind ?? '–';
  kind.className = `kind ${verdict?.kind ?? ''}`;
  element('verdict-headline').textContent = verdict?.headline ?? 'Press play (or step) to train.';
  element('verdict-learning').textContent = verdict?.learning.sentence ?? '';
  element('verdict-init').textContent = verdict?.atInitialisation === null || verdict === null ? '' : `At initialisation: ${verdict.atInitialisation.kind} — ${verdict.atInitialisation.headline}`;
  const evidence = element('verdict-evidence');
  evidence.replaceChildren(...(verdict?.evidence ?? []).map((sentence) => {
    const item = document.createElement('li');
    item.textContent = sentence;
    return item;
  }));
  const stopped = element('stopped');
  stopped.hidden = snapshot.stopped === null;
  stopped.textContent = snapshot.stopped ?? '';
  drawHeatmap(element<HTMLCanvasElement>('heatmap'), snapshot.heatmap);
  drawHeatmapLegend(element<SVGSVGElement>('heatmap-legend'), snapshot.heatmap);
  drawLoss(element<SVGSVGElement>('loss-chart'), snapshot.losses, snapshot.chance?.loss ?? null);
  drawDepth(element<SVGSVGElement>('depth-chart'), snapshot.depth);
  drawSaturation(element<SVGSVGElement>('saturation-chart'), snapshot.saturation);
  drawInputGradient(element<SVGSVGElement>('input-chart'), snapshot.inputGradient);
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  if (message.type === 'ready') {
    pageState.kernels = message.kernels;
    element<HTMLOutputElement>('kernels').textContent = message.kernels;
  } else if (message.type === 'problem') {
    const notice = element('notice');
    notice.hidden = false;
    notice.textContent = message.message;
  } else {
    playing = message.playing;
    showPlaying();
    render(message.snapshot, message.stepsPerSecond);
  }
};

function attachTooltip(): void {
  const canvas = element<HTMLCanvasElement>('heatmap');
  const tooltip = element('tooltip');
  canvas.addEventListener('mousemove', (event) => {
    const cell = latest === null ? null : heatmapCellAt(canvas, latest.heatmap, event.offsetX, event.offsetY);
    if (cell === null) {
      tooltip.hidden = true;
      return;
    }
    tooltip.hidden = false;
    tooltip.textContent = `layer ${cell.layer + 1}, step ${cell.step + 1}: ‖∂L/∂h‖ = ${Number.isFinite(cell.value) ? cell.value.toExponential(2) : String(cell.value)}`;
    tooltip.style.left = `${event.offsetX + 12}px`;
    tooltip.style.top = `${event.offsetY + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => (tooltip.hidden = true));
}

buildForm();
attachTooltip();
element('play').addEventListener('click', () => {
  playing = !playing;
  showPlaying();
  send({ type: playing ? 'play' : 'pause' });
});
element('step').addEventListener('click', () => {
  playing = false;
  showPlaying();
  send({ type: 'step' });
});
element('reset').addEventListener('click', () => reset());
document.addEventListener('keydown', (event) => {
  if (event.key === ' ' && !(event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.target instanceof HTMLButtonElement)) {
    event.preventDefault();
    element<HTMLButtonElement>('play').click();
  }
});
window.addEventListener('hashchange', () => {
  const parsed = setupFromHash(location.hash);
  if (setupToHash(parsed.setup) === setupToHash(setup)) return;
  setup = parsed.setup;
  reset();
});
reset();
if (initial.ignored.length > 0) {
  const notice = element('notice');
  notice.hidden = false;
  notice.textContent = `Not taken from the link:\n${initial.ignored.join('\n')}`;
}
