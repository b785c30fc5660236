/**
 * The classic long-memory tasks, generated from the seed at any length T. In each the answer
 * depends on inputs far back in time, so only a gradient that survives the trip back through
 * time can teach it.
 *
 * - adding (Hochreiter & Schmidhuber 1997; Le et al. 2015): two channels, a value U(0, 1) and a
 *   marker that is 1 at exactly two steps, one in each half; the target is the sum of the two
 *   marked values (MSE). Predicting the constant 1 scores E[(s − 1)²] = Var(s) = 1/6.
 *   `markerWindow` W moves both markers into the last W steps: the same task, needing W − 1
 *   steps of memory instead of T − 1.
 * - copy (Arjovsky et al. 2016): 10 symbols out of 8, T − 1 blanks, a delimiter, 10 blanks;
 *   at the last 10 steps the model must repeat the symbols (cross-entropy at every step, 9
 *   classes: the 8 symbols and blank). A memoryless model outputs blank until the delimiter
 *   and guesses uniformly after it: 10·ln 8 / (T + 20).
 * - temporal order (Hochreiter & Schmidhuber 1997, task 6a): a sequence of distractors a–d
 *   between B and E holds two relevant symbols, X or Y, one at 10–20 % and one at 50–60 % of
 *   the length; the class is their order (XX, XY, YX, YY). Chance: ln 4, 25 %.
 */
import type { SeededRandom } from '../random.js';
import type { Baseline, DataSplit, RequiredLag, SequenceDataset } from './dataset.js';
import { DataError } from './dataset.js';
import { checkDatasetSize, formatCount, maxHeldOutSamples, maxSequenceLength, maxTrainSamples } from './limits.js';
import { syntheticLengthDefault, syntheticSampleDefaults } from './option-defaults.js';
import { dataField } from './option-names.js';

export interface SyntheticOptions {
  /** T: sequence length (adding, temporal order) or the blank gap (copy). Default 100, as in experiment files. */
  length?: number;
  /** Default 10000. */
  trainSamples?: number;
  /** Default 1000. */
  validationSamples?: number;
  /** Default 1000. */
  testSamples?: number;
}

export interface AddingOptions extends SyntheticOptions {
  name: 'adding';
  /**
   * Place both markers within the last this-many steps (the first in the window's first half,
   * the second in its second half), so the task needs memory of only that many steps. Default:
   * the whole sequence (the classic task).
   */
  markerWindow?: number | null;
}

export interface CopyOptions extends SyntheticOptions {
  name: 'copy';
}

export interface TemporalOrderOptions extends SyntheticOptions {
  name: 'temporal_order';
}

interface TaskShape {
  steps: number;
  inputSize: number;
  outputSize: number;
  targetsPerSample: number;
  classification: boolean;
}

/**
 * Checks the length and sample counts, then the size they add up to, before anything is
 * allocated: `length: 1e12` or a billion samples is one line naming the fields, not
 * `Invalid typed array length`. `sampleShape` gives a sample's steps, inputs and targets.
 */
function checkCounts(task: string, options: SyntheticOptions, minimumLength: number, sampleShape: (length: number) => { steps: number; inputSize: number; targets: number }): { train: number; validation: number; test: number; length: number } {
  const length = options.length ?? syntheticLengthDefault;
  if (!Number.isInteger(length) || length < minimumLength || length > maxSequenceLength) {
    throw new DataError(`dataset ${task}: ${dataField('length')} must be an integer in [${minimumLength}, ${maxSequenceLength}]; got ${length}`);
  }
  const counts = { train: options.trainSamples ?? syntheticSampleDefaults.trainSamples, validation: options.validationSamples ?? syntheticSampleDefaults.validationSamples, test: options.testSamples ?? syntheticSampleDefaults.testSamples };
  for (const [field, value] of [['train_samples', counts.train], ['validation_samples', counts.validation], ['test_samples', counts.test]] as const) {
    const minimum = field === 'train_samples' ? 1 : 0;
    const maximum = field === 'train_samples' ? maxTrainSamples : maxHeldOutSamples;
    if (!Number.isInteger(value) || value < minimum || value > maximum) throw new DataError(`dataset ${task}: data.${field} must be an integer in [${minimum}, ${maximum}]; got ${value}`);
  }
  const { steps, inputSize, targets } = sampleShape(length);
  const samples = counts.train + counts.validation + counts.test;
  const perSequence = steps * inputSize + targets;
  checkDatasetSize(
    `dataset ${task}`,
    `${formatCount(samples)} sequences (${dataField('trainSamples')} + validation_samples + test_samples) × ${formatCount(perSequence)} values each (${dataField('length')} = ${length}: ${steps} steps × ${inputSize} inputs + ${targets} target${targets === 1 ? '' : 's'})`,
    samples * perSequence,
    'lower data.length or the sample counts',
  );
  return { ...counts, length };
}

function generateSplit(shape: TaskShape, size: number, random: SeededRandom, fill: (inputs: Float32Array, targets: Int32Array | Float32Array, offset: number, targetOffset: number, random: SeededRandom) => void): DataSplit {
  const perSample = shape.steps * shape.inputSize;
  const inputs = new Float32Array(size * perSample);
  const targets = shape.classification ? new Int32Array(size * shape.targetsPerSample) : new Float32Array(size * shape.targetsPerSample);
  for (let i = 0; i < size; i++) fill(inputs, targets, i * perSample, i * shape.targetsPerSample, random);
  return { size, inputs, targets };
}

function assemble(
  name: string,
  description: string,
  shape: TaskShape,
  output: 'last' | 'every',
  baseline: Baseline,
  requiredLag: RequiredLag,
  counts: { train: number; validation: number; test: number },
  random: SeededRandom,
  fill: Parameters<typeof generateSplit>[3],
  accuracyFromStep = 0,
): SequenceDataset {
  return {
    requiredLag,
    accuracyFromStep,
    name,
    description,
    inputSize: shape.inputSize,
    steps: shape.steps,
    outputSize: shape.outputSize,
    loss: shape.classification ? 'cross_entropy' : 'mse',
    output,
    train: generateSplit(shape, counts.train, random.fork('train'), fill),
    validation: generateSplit(shape, counts.validation, random.fork('validation'), fill),
    test: generateSplit(shape, counts.test, random.fork('test'), fill),
    baseline,
  };
}

export function generateAdding(options: AddingOptions, random: SeededRandom): SequenceDataset {
  const counts = checkCounts('adding', options, 2, (T) => ({ steps: T, inputSize: 2, targets: 1 }));
  const T = counts.length;
  const window = options.markerWindow ?? T;
  if (!Number.isInteger(window) || window < 2 || window > T) {
    throw new DataError(`dataset adding: ${dataField('markerWindow')} must be an integer in [2, length = ${T}]; got ${window}`);
  }
  // Markers go into steps [start, T): the first in the window's first half, the second in its second.
  const start = T - window;
  const half = Math.floor(window / 2);
  const shape: TaskShape = { steps: T, inputSize: 2, outputSize: 1, targetsPerSample: 1, classification: false };
  const windowed = window < T;
  return assemble(
    `adding-T${T}${windowed ? `-W${window}` : ''}`,
    `adding problem, T = ${T}: sum the two marked values out of ${T}${windowed ? `, both in the last ${window} steps` : ''}`,
    shape,
    'last',
    // Zero output: E[s²] = Var(s) + E[s]² = 1/6 + 1.
    { loss: 1 / 6, zeroOutputLoss: 7 / 6, description: 'always predicting 1, the expected sum (MSE 1/6 ≈ 0.167)' },
    {
      steps: window - 1,
      reason: windowed ? `both markers are in the last ${window} of ${T} steps` : 'the first marker can be at step 1'
    },
    counts,
    random,
    (inputs, targets, offset, targetOffset, r) => {
      for (let t = 0; t < T; t++) inputs[offset + 2 * t] = r.uniform();
      const first = start + r.integer(half);
      const second = start + half + r.integer(window - half);
      inputs[offset + 2 * first + 1] = 1;
      inputs[offset + 2 * second + 1] = 1;
      targets[targetOffset] = inputs[offset + 2 * first] + inputs[offset + 2 * second];
    },
  );
}

const COPY_SYMBOLS = 8;
const COPY_LENGTH = 10;
const BLANK = 8;
const DELIMITER = 9;

export function generateCopy(options: CopyOptions, random: SeededRandom): SequenceDataset {
  const counts = checkCounts('copy', options, 1, (gap) => ({ steps: gap + 2 * COPY_LENGTH, inputSize: COPY_SYMBOLS + 2, targets: gap + 2 * COPY_LENGTH }));
  const gap = counts.length;
  const steps = gap + 2 * COPY_LENGTH;
  const shape: TaskShape = { steps, inputSize: COPY_SYMBOLS + 2, outputSize: COPY_SYMBOLS + 1, targetsPerSample: steps, classification: true };
  return assemble(
    `copy-T${gap}`,
    `copy task, gap T = ${gap}: repeat 10 symbols out of 8 after ${gap} blank steps (${steps} steps)`,
    shape,
    'every',
    {
      loss: (COPY_LENGTH * Math.log(COPY_SYMBOLS)) / steps,
      accuracy: 1 / COPY_SYMBOLS,
      zeroOutputLoss: Math.log(COPY_SYMBOLS + 1),
      description: `a memoryless model: blank until the delimiter, then a uniform guess over 8 symbols (loss 10·ln 8/(T+20) ≈ ${((COPY_LENGTH * Math.log(COPY_SYMBOLS)) / steps).toFixed(4)}; recall accuracy 1/8)`,
    },
    { steps: gap + COPY_LENGTH, reason: `each symbol is recalled ${gap + COPY_LENGTH} steps after it was shown` },
    counts,
    random,
    (inputs, targets, offset, targetOffset, r) => {
      const width = COPY_SYMBOLS + 2;
      for (let t = 0; t < steps; t++) {
        let symbol = BLANK;
        if (t < COPY_LENGTH) symbol = r.integer(COPY_SYMBOLS);
        else if (t === COPY_LENGTH + gap - 1) symbol = DELIMITER;
        inputs[offset + t * width + symbol] = 1;
        targets[targetOffset + t] = BLANK;
      }
      for (let k = 0; k < COPY_LENGTH; k++) {
        const symbol = inputs.subarray(offset + k * width, offset + (k + 1) * width).indexOf(1);
        targets[targetOffset + steps - COPY_LENGTH + k] = symbol;
      }
    },
    // Accuracy on the recalled symbols only: predicting blank is right at every other step.
    steps - COPY_LENGTH,
  );
}

/** Input channels of the temporal order task: distractors a–d, X, Y, start B, end E. */
const ORDER_CHANNELS = { X: 4, Y: 5, B: 6, E: 7 } as const;

export function generateTemporalOrder(options: TemporalOrderOptions, random: SeededRandom): SequenceDataset {
  const counts = checkCounts('temporal_order', options, 10, (T) => ({ steps: T, inputSize: 8, targets: 1 }));
  const T = counts.length;
  const shape: TaskShape = { steps: T, inputSize: 8, outputSize: 4, targetsPerSample: 1, classification: true };
  const window = (from: number, to: number) => [Math.max(1, Math.floor(from * T)), Math.max(Math.floor(from * T) + 1, Math.floor(to * T))] as const;
  const [firstStart, firstEnd] = window(0.1, 0.2);
  const [secondStart, secondEnd] = window(0.5, 0.6);
  return assemble(
    `temporal_order-T${T}`,
    `temporal order, T = ${T}: which of X/Y came first and second among distractors (4 classes)`,
    shape,
    'last',
    { loss: Math.log(4), accuracy: 0.25, zeroOutputLoss: Math.log(4), description: 'guessing uniformly over the 4 orders (loss ln 4 ≈ 1.386, accuracy 25 %)' },
    { steps: T - 1 - firstStart, reason: `the first relevant symbol can be at step ${firstStart + 1}` },
    counts,
    random,
    (inputs, targets, offset, targetOffset, r) => {
      const first = firstStart + r.integer(firstEnd - firstStart);
      const second = secondStart + r.integer(secondEnd - secondStart);
      const firstIsY = r.integer(2);
      const secondIsY = r.integer(2);
      for (let t = 0; t < T; t++) {
        let channel: number;
        if (t === 0) channel = ORDER_CHANNELS.B;
        else if (t === T - 1) channel = ORDER_CHANNELS.E;
        else if (t === first) channel = firstIsY ? ORDER_CHANNELS.Y : ORDER_CHANNELS.X;
        else if (t === second) channel = secondIsY ? ORDER_CHANNELS.Y : ORDER_CHANNELS.X;
        else channel = r.integer(4);
        inputs[offset + t * 8 + channel] = 1;
      }
      targets[targetOffset] = 2 * firstIsY + secondIsY;
    },
  );
}
