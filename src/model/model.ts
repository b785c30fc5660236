/**
 * A recurrent classifier/regressor: stacked recurrent layers and a linear head, with a forward
 * pass, a loss, and exact backpropagation through time that also reports the gradient reaching
 * every layer's hidden state at every step.
 *
 * Architectures (PyTorch equivalents, parameter names as PyTorch prints them):
 * - vanilla:  `rnn = nn.RNN/LSTM/GRU(I, H, num_layers=L, batch_first=True)`, `fc = nn.Linear(H, O)`;
 *             layer l > 0 reads layer l−1's hidden states.                → rnn.weight_ih_l0 … fc.bias
 * - residual: `rnn_layers = ModuleList(L single-layer RNNs)`, the original's ResidualRNN:
 *             s_1 = layer_0(x), s_{i+1} = s_i + layer_i(s_i).               → rnn_layers.0.weight_ih_l0 … fc.bias
 * The head reads the top hidden states (vanilla) or the residual stream s_L (residual).
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import { defaultKernels } from '../kernels/select.js';
import { SeededRandom } from '../random.js';
import { BackwardScratch } from './backward-scratch.js';
import type { LossKind, ModelOptions, ResolvedModelConfig } from './config.js';
import { resolveModelConfig } from './config.js';
import { GruLayer } from './gru-layer.js';
import { initialiseParameters, scaleRecurrentWeights, setForgetGateBias } from './init.js';
import { LinearHead } from './linear-head.js';
import { computeLoss, validateTargets } from './loss.js';
import { LstmLayer } from './lstm-layer.js';
import type { Parameter } from './parameters.js';
import { allocate } from './parameters.js';
import type { RecurrentLayer } from './recurrent-layer.js';
import { RnnLayer } from './rnn-layer.js';
import { batchMajorToTimeMajor } from './sequence-layout.js';
import type { SequenceBatch } from '../data/sequence-batch.js';

// Defined by the data that fills it (data/sequence-batch.ts); re-exported for the model's callers.
export type { SequenceBatch };

export interface Evaluation {
  /** The loss, averaged as PyTorch's `F.cross_entropy` / `F.mse_loss` average it. */
  loss: number;
  /** Predictions whose arg-max is the target (cross-entropy; 0 for MSE). */
  correct: number;
  /** Predictions made: batchSize, or batchSize·steps with the head at every step. */
  predictions: number;
  /** Head at every step with cross-entropy: the correct predictions of each step ([steps]); else null. */
  correctPerStep: Int32Array | null;
}

/** ‖∂L/∂h_t‖ of every layer and ‖∂L/∂x_t‖ at the input, from one backward pass. */
export interface GradientThroughTime {
  /** hiddenGradientNorms[layer][t] = ‖dL/dh_t‖ of that layer over the batch (Frobenius norm). */
  hiddenGradientNorms: Float64Array[];
  /**
   * inputGradientNorms[t] = ‖dL/dx_t‖ over the batch: the gradient that arrives at the input of
   * step t through every path of the stack (and, in an LSTM, through the cell state too).
   */
  inputGradientNorms: Float64Array;
}

export interface LossAndGradients extends Evaluation, GradientThroughTime {
  /**
   * dL/dθ for every parameter by PyTorch name. These are the model's gradient buffers: the
   * next call overwrites them; optimisers read them from here or from `parameters()`. The same
   * holds for the norm arrays (hiddenGradientNorms, inputGradientNorms, the probe's) and
   * correctPerStep: buffers of the model, reused while the batch shape stays, so a training step
   * allocates nothing; copy them to keep them past the next call.
   */
  gradients: ReadonlyMap<string, FloatArray>;
  /** Per layer, the fraction of saturated (tanh, LSTM, GRU) or dead (ReLU) units in this batch. */
  saturatedFraction: number[];
  /**
   * Per layer, the root mean square of the signal it passes on (its hidden states; in a residual
   * stack the residual stream): the forward signal, to tell "the activations died (or blew up)"
   * from "the gradient died".
   */
  activationRms: number[];
  /**
   * With the head at every step and `lastStepProbe` asked for: the same measures for the gradient
   * of the LAST step's loss alone (the other steps' losses left out), which shows how far back one
   * loss reaches. Null otherwise (with the head at the last step the main pass already is that).
   */
  lastStepProbe: GradientThroughTime | null;
}

/** What `lossAndGradients` measures beyond the gradients. */
export interface GradientOptions {
  /** Also run the last-step probe (head at every step only; one more backward pass). Default false. */
  lastStepProbe?: boolean;
}

export interface Model {
  readonly config: ResolvedModelConfig;
  /** The kernel implementation this model runs on. */
  readonly kernels: Kernels;
  /** PyTorch's names, in PyTorch's order. */
  parameterNames(): string[];
  /** Every parameter with its gradient buffer, in PyTorch's order. */
  parameters(): readonly Parameter[];
  /** Total number of scalar parameters. */
  parameterCount(): number;
  /** A copy of a parameter's shape and values. */
  getParameter(name: string): { shape: number[]; data: FloatArray };
  /** Copies `data` into the parameter; its length must match. */
  setParameter(name: string, data: ArrayLike<number>): void;
  /** Forward pass and loss only (validation). */
  evaluate(batch: SequenceBatch): Evaluation;
  /** Forward pass, loss, and backpropagation through time. */
  lossAndGradients(batch: SequenceBatch, options?: GradientOptions): LossAndGradients;
}

/** Builds a model; see `ModelOptions` for the options and their defaults. */
export function createModel(options: ModelOptions): Model {
  return new RecurrentModel(options);
}

class RecurrentModel implements Model {
  readonly config: ResolvedModelConfig;
  readonly kernels: Kernels;
  private readonly layers: RecurrentLayer[];
  private readonly head: LinearHead;
  private readonly allParameters: readonly Parameter[];
  private readonly parametersByName: Map<string, Parameter>;
  private readonly gradientsByName: Map<string, FloatArray>;
  private capacity = 0;
  /** The batch's inputs, time-major [T, B, I]. */
  private timeMajorInput: FloatArray;
  /** Residual stream s_{i+1} = s_i + layer_i(s_i) for i ≥ 1, each [T, B, H]. */
  private residualStreams: FloatArray[] = [];
  /** Per layer, filled by forward(…, measure): what lossAndGradients reports as saturatedFraction and activationRms. */
  private readonly saturatedFractionByLayer: Float64Array;
  private readonly activationRmsByLayer: Float64Array;
  /** Two [T, B, H] buffers that take turns as dL/d(layer output) and dL/d(layer input). */
  private gradientBuffers: [FloatArray, FloatArray];
  /** dL/dx, time-major [T, B, I]: what arrives at the input. */
  private inputGradient: FloatArray;
  private timeMajorClassTargets = new Int32Array(0);
  private timeMajorValueTargets: FloatArray;
  /** What backward() returns, [steps] per array; reallocated only when the sequence length changes. */
  private throughTime: GradientThroughTime = { hiddenGradientNorms: [], inputGradientNorms: new Float64Array(0) };
  /** The same for the last-step probe, which is returned beside the main pass's. */
  private probeThroughTime: GradientThroughTime = { hiddenGradientNorms: [], inputGradientNorms: new Float64Array(0) };
  /** Correct predictions per step (head at every step, cross-entropy), [steps]. */
  private correctPerStep = new Int32Array(0);

  constructor(options: ModelOptions) {
    this.config = resolveModelConfig(options);
    this.kernels = options.kernels ?? defaultKernels();
    const { architecture, cell, nonlinearity, inputSize, hiddenSize, numLayers, outputSize, dtype } = this.config;
    this.layers = [];
    // One set of gate-gradient buffers for every layer's backward pass: they run one at a time.
    const backwardScratch = new BackwardScratch(dtype);
    for (let l = 0; l < numLayers; l++) {
      const layerInput = l === 0 ? inputSize : hiddenSize;
      const prefix = architecture === 'vanilla' ? 'rnn.' : `rnn_layers.${l}.`;
      const suffix = architecture === 'vanilla' ? `l${l}` : 'l0';
      if (cell === 'rnn') this.layers.push(new RnnLayer(layerInput, hiddenSize, nonlinearity === 'linear' ? 'identity' : nonlinearity, prefix, suffix, dtype, this.kernels, backwardScratch));
      else if (cell === 'lstm') this.layers.push(new LstmLayer(layerInput, hiddenSize, prefix, suffix, dtype, this.kernels, backwardScratch));
      else this.layers.push(new GruLayer(layerInput, hiddenSize, prefix, suffix, dtype, this.kernels, backwardScratch));
    }
    this.head = new LinearHead(hiddenSize, outputSize, dtype, this.kernels);
    this.saturatedFractionByLayer = new Float64Array(numLayers);
    this.activationRmsByLayer = new Float64Array(numLayers);
    this.allParameters = [...this.layers.flatMap((layer) => layer.parameters), ...this.head.parameters];
    this.parametersByName = new Map(this.allParameters.map((p) => [p.name, p]));
    this.gradientsByName = new Map(this.allParameters.map((p) => [p.name, p.grad]));
    const initTargets = { layers: this.layers.map((layer) => layer.parameters), headWeight: this.head.weight, headBias: this.head.bias, hiddenSize };
    initialiseParameters(this.config.init, initTargets, new SeededRandom(this.config.seed).fork('parameters'));
    if (this.config.recurrentGain !== 1) scaleRecurrentWeights(initTargets, this.config.recurrentGain);
    if (this.config.forgetBias !== null) setForgetGateBias(initTargets, this.config.forgetBias);
    this.timeMajorInput = allocate(dtype, 0);
    this.gradientBuffers = [allocate(dtype, 0), allocate(dtype, 0)];
    this.inputGradient = allocate(dtype, 0);
    this.timeMajorValueTargets = allocate(dtype, 0);
  }

  parameterNames(): string[] {
    return this.allParameters.map((p) => p.name);
  }

  parameters(): readonly Parameter[] {
    return this.allParameters;
  }

  parameterCount(): number {
    return this.allParameters.reduce((sum, p) => sum + p.data.length, 0);
  }

  getParameter(name: string): { shape: number[]; data: FloatArray } {
    const parameter = this.lookup(name);
    return { shape: [...parameter.shape], data: parameter.data.slice() };
  }

  setParameter(name: string, data: ArrayLike<number>): void {
    const parameter = this.lookup(name);
    if (data.length !== parameter.data.length) {
      throw new Error(`setParameter(${name}): data has length ${data.length}, expected ${parameter.data.length} for shape [${parameter.shape.join(', ')}]`);
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new Error(`setParameter(${name}): data[${i}] = ${data[i]} is not finite`);
    }
    parameter.data.set(data);
  }

  evaluate(batch: SequenceBatch): Evaluation {
    const loss = batch.loss ?? 'cross_entropy';
    this.validate(batch, loss);
    this.prepare(batch, loss);
    this.forward(batch.steps, batch.batchSize);
    return this.lossOfHead(batch, loss);
  }

  lossAndGradients(batch: SequenceBatch, options: GradientOptions = {}): LossAndGradients {
    const loss = batch.loss ?? 'cross_entropy';
    this.validate(batch, loss);
    this.prepare(batch, loss);
    const { steps, batchSize } = batch;
    this.forward(steps, batchSize, true);
    const evaluation = this.lossOfHead(batch, loss);
    // The probe runs first and its parameter gradients are discarded: only its norms are kept.
    let lastStepProbe: GradientThroughTime | null = null;
    if (options.lastStepProbe === true && this.config.output === 'every') {
      this.zeroGradients();
      lastStepProbe = this.backward(steps, batchSize, true);
    }
    this.zeroGradients();
    const through = this.backward(steps, batchSize, false);
    return {
      ...evaluation,
      ...through,
      gradients: this.gradientsByName,
      saturatedFraction: Array.from(this.saturatedFractionByLayer),
      activationRms: Array.from(this.activationRmsByLayer),
      lastStepProbe,
    };
  }

  private zeroGradients(): void {
    for (const p of this.allParameters) this.kernels.fill(p.grad, 0, p.grad.length, 0);
  }

  private lookup(name: string): Parameter {
    const parameter = this.parametersByName.get(name);
    if (parameter === undefined) throw new Error(`unknown parameter ${JSON.stringify(name)}; the model has ${this.parameterNames().join(', ')}`);
    return parameter;
  }

  private validate(batch: SequenceBatch, loss: LossKind): void {
    const { batchSize, steps, inputs, targets } = batch;
    if (loss !== 'cross_entropy' && loss !== 'mse') throw new Error(`loss must be cross_entropy or mse; got ${JSON.stringify(loss)}`);
    for (const [field, value] of [['batchSize', batchSize], ['steps', steps]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`${field} must be a positive integer; got ${JSON.stringify(value)}`);
    }
    const { inputSize, outputSize, output } = this.config;
    if (!(inputs instanceof Float32Array || inputs instanceof Float64Array)) {
      throw new Error('inputs must be a Float32Array or Float64Array of shape [batchSize, steps, inputSize]');
    }
    const expectedInputs = batchSize * steps * inputSize;
    if (inputs.length !== expectedInputs) {
      throw new Error(`inputs has length ${inputs.length}, expected batchSize·steps·inputSize = ${batchSize}·${steps}·${inputSize} = ${expectedInputs}`);
    }
    if (!Number.isFinite(this.kernels.sumOfSquares(inputs, 0, inputs.length))) {
      const index = inputs.findIndex((value) => !Number.isFinite(value));
      if (index >= 0) throw new Error(`inputs[${index}] = ${inputs[index]} is not finite`);
    }
    const rows = output === 'every' ? batchSize * steps : batchSize;
    const rowsFormula = output === 'every' ? `batchSize·steps` : 'batchSize';
    if (loss === 'cross_entropy') validateTargets(loss, targets, rows, outputSize, rowsFormula);
    else validateTargets(loss, targets, rows * outputSize, outputSize, `${rowsFormula}·outputSize`);
  }

  /** Sizes the buffers and lays the batch out time-major. */
  private prepare(batch: SequenceBatch, loss: LossKind): void {
    const { batchSize, steps } = batch;
    const { inputSize, hiddenSize, outputSize, dtype, output, architecture, numLayers } = this.config;
    if (steps * batchSize > this.capacity) {
      this.capacity = steps * batchSize;
      this.timeMajorInput = allocate(dtype, this.capacity * inputSize);
      this.gradientBuffers = [allocate(dtype, this.capacity * hiddenSize), allocate(dtype, this.capacity * hiddenSize)];
      this.inputGradient = allocate(dtype, this.capacity * inputSize);
      this.residualStreams = architecture === 'residual' ? Array.from({ length: numLayers - 1 }, () => allocate(dtype, this.capacity * hiddenSize)) : [];
      this.timeMajorClassTargets = new Int32Array(this.capacity);
      this.timeMajorValueTargets = allocate(dtype, this.capacity * outputSize);
    }
    batchMajorToTimeMajor(batch.inputs, this.timeMajorInput, batchSize, steps, inputSize);
    if (output === 'every') {
      if (loss === 'cross_entropy') batchMajorToTimeMajor(batch.targets, this.timeMajorClassTargets, batchSize, steps, 1);
      else batchMajorToTimeMajor(batch.targets, this.timeMajorValueTargets, batchSize, steps, outputSize);
    }
  }

  /** The hidden states the head reads: the top layer's (vanilla) or the residual stream (residual). */
  private top(): FloatArray {
    const last = this.layers.length - 1;
    return this.config.architecture === 'residual' && last > 0 ? this.residualStreams[last - 1] : this.layers[last].output;
  }

  /**
   * With `measure`, each layer's saturation and the RMS of what it passes on (its hidden states,
   * or the residual stream after it) are taken right after the layer runs, while its outputs are
   * still in cache (read after the whole pass they came from memory: 11 ms of a 420 ms step of
   * workload B on the avx2 kernels, 4.4 ms this way).
   */
  private forward(steps: number, batch: number, measure = false): void {
    const k = this.kernels;
    const size = steps * batch * this.config.hiddenSize;
    let input = this.timeMajorInput;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      layer.forward(input, steps, batch);
      if (this.config.architecture === 'residual' && l > 0) {
        // s_{l+1} = s_l + h_l by a copy and a sum over the whole sequence (and backward() copies
        // dL/ds_{l+1}). Doing both in the fused Elman loop instead, on each block of rows as it is
        // finished (with the RMS's squares and the dead units there too), was no faster: B-res-relu
        // one core each against PyTorch (avx2, paired bench) 0.77 with it, 0.75 and 0.77 without
        // in two runs; the loop took about as long as the passes it saved.
        const stream = this.residualStreams[l - 1];
        k.copy(input, 0, stream, 0, size);
        k.axpy(size, 1, layer.output, 0, stream, 0);
        input = stream;
      } else {
        input = layer.output;
      }
      if (measure) {
        this.saturatedFractionByLayer[l] = layer.saturatedFraction(steps, batch);
        this.activationRmsByLayer[l] = Math.sqrt(k.sumOfSquares(input, 0, size) / size);
      }
    }
    const H = this.config.hiddenSize;
    if (this.config.output === 'last') this.head.forward(this.top(), (steps - 1) * batch * H, batch);
    else this.head.forward(this.top(), 0, steps * batch);
  }

  private lossOfHead(batch: SequenceBatch, loss: LossKind): Evaluation {
    const every = this.config.output === 'every';
    const rows = every ? batch.steps * batch.batchSize : batch.batchSize;
    let targets: Int32Array | FloatArray;
    if (loss === 'cross_entropy') targets = every ? this.timeMajorClassTargets : (batch.targets as Int32Array);
    else targets = every ? this.timeMajorValueTargets : (batch.targets as FloatArray);
    if (every && loss === 'cross_entropy' && this.correctPerStep.length !== batch.steps) this.correctPerStep = new Int32Array(batch.steps);
    const value = every
      ? computeLoss(loss, this.kernels, this.head.logits, rows, this.config.outputSize, targets, this.head.dLogits, batch.batchSize, this.correctPerStep)
      : computeLoss(loss, this.kernels, this.head.logits, rows, this.config.outputSize, targets, this.head.dLogits);
    return { loss: value.loss, correct: value.correct, predictions: rows, correctPerStep: value.correctPerStep };
  }

  /**
   * Backpropagation through time into the parameters' gradients (accumulated). With
   * `lastStepOnly`, only the last step's rows of dL/d(logits) are propagated (the probe). The probe
   * runs before the main pass, so the main pass is the layers' last since the forward pass.
   */
  private backward(steps: number, batch: number, lastStepOnly: boolean): GradientThroughTime {
    const k = this.kernels;
    const { hiddenSize: H, inputSize: I } = this.config;
    const size = steps * batch * H;
    const lastRows = (steps - 1) * batch;
    const through = this.throughTimeBuffers(steps, lastStepOnly);
    const { hiddenGradientNorms, inputGradientNorms } = through;
    let dOutput = this.gradientBuffers[0];
    let dInput = this.gradientBuffers[1];
    if (this.config.output === 'last' || lastStepOnly) {
      k.fill(dOutput, 0, size, 0);
      const logitsRow = this.config.output === 'last' ? 0 : lastRows;
      this.head.backward(this.top(), lastRows * H, batch, dOutput, lastRows * H, logitsRow);
    } else {
      this.head.backward(this.top(), 0, steps * batch, dOutput, 0);
    }
    const residual = this.config.architecture === 'residual';
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const input = l === 0 ? this.timeMajorInput : residual && l > 1 ? this.residualStreams[l - 2] : this.layers[l - 1].output;
      if (l === 0) {
        layer.backward(input, dOutput, this.inputGradient, false, hiddenGradientNorms[l], steps, batch, !lastStepOnly);
      } else if (residual) {
        // forward: s_{l+1} = s_l + layer_l(s_l), so dL/ds_l = dL/ds_{l+1} + dL/ds_l through the layer.
        k.copy(dOutput, 0, dInput, 0, size);
        layer.backward(input, dOutput, dInput, true, hiddenGradientNorms[l], steps, batch, !lastStepOnly);
      } else {
        layer.backward(input, dOutput, dInput, false, hiddenGradientNorms[l], steps, batch, !lastStepOnly);
      }
      // Swap without a destructuring array literal: this runs every step and must not allocate.
      const swap = dOutput;
      dOutput = dInput;
      dInput = swap;
    }
    for (let t = 0; t < steps; t++) inputGradientNorms[t] = Math.sqrt(k.sumOfSquares(this.inputGradient, t * batch * I, batch * I));
    return through;
  }

  /** The norm arrays backward() fills (the probe's or the main pass's), [steps] each. */
  private throughTimeBuffers(steps: number, probe: boolean): GradientThroughTime {
    const kept = probe ? this.probeThroughTime : this.throughTime;
    if (kept.inputGradientNorms.length === steps && kept.hiddenGradientNorms.length === this.layers.length) return kept;
    const fresh = { hiddenGradientNorms: this.layers.map(() => new Float64Array(steps)), inputGradientNorms: new Float64Array(steps) };
    if (probe) this.probeThroughTime = fresh;
    else this.throughTime = fresh;
    return fresh;
  }
}
