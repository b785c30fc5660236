/**
 * SGD and Adam with PyTorch's update rules (torch.optim.SGD / torch.optim.Adam, L2 weight
 * decay added to the gradient, no AMSGrad). Each step also measures, in the same pass, how far
 * every parameter moved and its norm before and after, for the update-to-weight ratio and the
 * check that no weight became NaN or infinite.
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import { defaultKernels } from '../kernels/select.js';
import type { Parameter } from '../model/parameters.js';
import { checkTrainingOption, optimizerTypes, trainingOptionDefaults } from './option-table.js';

export interface SgdOptions {
  type: 'sgd';
  learningRate: number;
  /** Default 0. */
  momentum?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Default 0. */
  dampening?: number;
  /** Default false. */
  nesterov?: boolean;
}

export interface AdamOptions {
  type: 'adam';
  learningRate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** L2 penalty added to the gradient (torch.optim.Adam's weight_decay). Default 0. */
  weightDecay?: number;
}

export type OptimizerOptions = SgdOptions | AdamOptions;

/**
 * Everything an optimiser's next steps depend on besides the weights and its options: the step
 * count (Adam's bias correction, SGD's first momentum step) and its per-parameter buffers (SGD's
 * momentum; Adam's first and second moments), in the parameters' order and precision.
 */
export interface OptimizerState {
  type: OptimizerOptions['type'];
  steps: number;
  /** Buffer kind (`momentum`, `firstMoment`, `secondMoment`) → one array per parameter. */
  buffers: Record<string, FloatArray[]>;
}

export interface Optimizer {
  /** Applies one update to every parameter from its `grad`. */
  step(): void;
  /** A copy of the state (see OptimizerState), e.g. for a checkpoint. */
  exportState(): OptimizerState;
  /**
   * Continues from `state`, exported by an optimiser of the same kind over parameters of the same
   * shapes and precision; anything else throws, naming what does not fit, and changes nothing.
   */
  importState(state: OptimizerState): void;
  /** ‖θ_after − θ_before‖₂ per parameter for the last step (what the weights really moved, after rounding). */
  readonly lastUpdateNorms: Float64Array;
  /** ‖θ_before‖₂ per parameter for the last step. */
  readonly lastNormsBefore: Float64Array;
  /** ‖θ_after‖₂ per parameter for the last step (NaN or ∞ when a weight became non-finite). */
  readonly lastNormsAfter: Float64Array;
}

/** The three norms of one parameter's step, accumulated in the update loop. */
class StepNorms {
  readonly lastUpdateNorms: Float64Array;
  readonly lastNormsBefore: Float64Array;
  readonly lastNormsAfter: Float64Array;
  constructor(count: number) {
    this.lastUpdateNorms = new Float64Array(count);
    this.lastNormsBefore = new Float64Array(count);
    this.lastNormsAfter = new Float64Array(count);
  }

  /** A kernel step's sums for one parameter: [Σ (θ_after − θ_before)², Σ θ_before², Σ θ_after²]. */
  protected readonly sums = new Float64Array(3);

  /** Keeps the norms of the step whose sums `sums` holds, for parameter `index`. */
  protected storeSums(index: number): void {
    this.lastUpdateNorms[index] = Math.sqrt(this.sums[0]);
    this.lastNormsBefore[index] = Math.sqrt(this.sums[1]);
    this.lastNormsAfter[index] = Math.sqrt(this.sums[2]);
  }
}

/**
 * An optimiser over `parameters`. Every option is checked against the training option table
 * (option-table.ts, the same bounds experiment files are validated with) before anything is
 * allocated: `optimizer momentum must be < 1; got 1`. Its arithmetic runs on `kernels`
 * (Kernels.sgdStep / adamStep; pass the model's): every kernel set gives the same weights bit for
 * bit from the same gradients.
 */
export function createOptimizer(parameters: readonly Parameter[], options: OptimizerOptions, kernels: Kernels = defaultKernels()): Optimizer {
  const owner = `optimizer ${String(options.type)}:`;
  if (!(optimizerTypes as readonly string[]).includes(options.type)) {
    throw new RangeError(`optimizer type must be one of ${optimizerTypes.join(', ')}; got ${JSON.stringify(options.type)}`);
  }
  checkTrainingOption(owner, 'learningRate', options.learningRate);
  checkTrainingOption(owner, 'weightDecay', options.weightDecay ?? trainingOptionDefaults.weightDecay);
  if (options.type === 'sgd') {
    const momentum = options.momentum ?? trainingOptionDefaults.momentum;
    const dampening = options.dampening ?? trainingOptionDefaults.dampening;
    checkTrainingOption(owner, 'momentum', momentum);
    checkTrainingOption(owner, 'dampening', dampening);
    // As torch.optim.SGD: Nesterov's look-ahead is defined on an undamped momentum buffer.
    if ((options.nesterov ?? trainingOptionDefaults.nesterov) && (momentum <= 0 || dampening !== 0)) {
      throw new RangeError(`${owner} nesterov needs momentum > 0 and dampening 0; got momentum ${momentum}, dampening ${dampening}`);
    }
    return new Sgd(parameters, options, kernels);
  }
  checkTrainingOption(owner, 'beta1', options.beta1 ?? trainingOptionDefaults.beta1);
  checkTrainingOption(owner, 'beta2', options.beta2 ?? trainingOptionDefaults.beta2);
  checkTrainingOption(owner, 'epsilon', options.epsilon ?? trainingOptionDefaults.epsilon);
  return new Adam(parameters, options, kernels);
}

function buffersLike(parameters: readonly Parameter[]): FloatArray[] {
  return parameters.map((p) => (p.data instanceof Float64Array ? new Float64Array(p.data.length) : new Float32Array(p.data.length)));
}

function copyBuffers(buffers: readonly FloatArray[]): FloatArray[] {
  return buffers.map((buffer) => buffer.slice());
}

/**
 * Checks `state` against what an optimiser of `type` over `parameters` holds (`expected`: its
 * buffer kinds) and returns its step count; throws naming the first thing that does not fit.
 */
function checkedState(state: OptimizerState, type: OptimizerState['type'], parameters: readonly Parameter[], expected: readonly string[]): number {
  if (state.type !== type) throw new Error(`optimizer state is ${String(state.type)}, the optimizer ${type}`);
  if (!Number.isSafeInteger(state.steps) || state.steps < 0) throw new Error(`optimizer steps must be a whole number ≥ 0, got ${String(state.steps)}`);
  const kinds = Object.keys(state.buffers).sort();
  if (JSON.stringify(kinds) !== JSON.stringify([...expected].sort())) throw new Error(`optimizer buffers are [${kinds.join(', ')}], expected [${expected.join(', ')}]`);
  for (const kind of expected) {
    const buffers = state.buffers[kind];
    if (!Array.isArray(buffers) || buffers.length !== parameters.length) throw new Error(`optimizer ${kind}: ${parameters.length} buffers expected`);
    buffers.forEach((buffer, i) => {
      const parameter = parameters[i];
      if (buffer.constructor !== parameter.data.constructor || buffer.length !== parameter.data.length) {
        throw new Error(`optimizer ${kind} of ${parameter.name}: expected ${parameter.data.length} values of ${parameter.data.constructor.name}, got ${buffer.length} of ${buffer.constructor.name}`);
      }
    });
  }
  return state.steps;
}

function restoreBuffers(target: readonly FloatArray[], source: readonly FloatArray[]): void {
  target.forEach((buffer, i) => buffer.set(source[i]));
}

class Sgd extends StepNorms implements Optimizer {
  private readonly momentumBuffers: FloatArray[] | null;
  private steps = 0;
  private readonly momentum: number;
  private readonly weightDecay: number;
  private readonly dampening: number;
  private readonly nesterov: boolean;

  constructor(private readonly parameters: readonly Parameter[], private readonly options: SgdOptions, private readonly kernels: Kernels) {
    super(parameters.length);
    this.momentum = options.momentum ?? trainingOptionDefaults.momentum;
    this.weightDecay = options.weightDecay ?? trainingOptionDefaults.weightDecay;
    this.dampening = options.dampening ?? trainingOptionDefaults.dampening;
    this.nesterov = options.nesterov ?? trainingOptionDefaults.nesterov;
    this.momentumBuffers = this.momentum !== 0 ? buffersLike(parameters) : null;
  }

  step(): void {
    const settings = {
      learningRate: this.options.learningRate, momentum: this.momentum, dampening: this.dampening,
      weightDecay: this.weightDecay, nesterov: this.nesterov, first: this.steps === 0,
    };
    this.parameters.forEach((p, index) => {
      this.kernels.sgdStep(p.data, p.grad, this.momentumBuffers?.[index] ?? null, settings, this.sums);
      this.storeSums(index);
    });
    this.steps++;
  }

  exportState(): OptimizerState {
    return { type: 'sgd', steps: this.steps, buffers: this.momentumBuffers === null ? {} : { momentum: copyBuffers(this.momentumBuffers) } };
  }

  importState(state: OptimizerState): void {
    const steps = checkedState(state, 'sgd', this.parameters, this.momentumBuffers === null ? [] : ['momentum']);
    if (this.momentumBuffers !== null) restoreBuffers(this.momentumBuffers, state.buffers.momentum);
    this.steps = steps;
  }
}

class Adam extends StepNorms implements Optimizer {
  private readonly firstMoments: FloatArray[];
  private readonly secondMoments: FloatArray[];
  private steps = 0;

  constructor(private readonly parameters: readonly Parameter[], private readonly options: AdamOptions, private readonly kernels: Kernels) {
    super(parameters.length);
    this.firstMoments = buffersLike(parameters);
    this.secondMoments = buffersLike(parameters);
  }

  step(): void {
    this.steps++;
    const { learningRate } = this.options;
    const beta1 = this.options.beta1 ?? trainingOptionDefaults.beta1;
    const beta2 = this.options.beta2 ?? trainingOptionDefaults.beta2;
    const epsilon = this.options.epsilon ?? trainingOptionDefaults.epsilon;
    const weightDecay = this.options.weightDecay ?? trainingOptionDefaults.weightDecay;
    const biasCorrection1 = 1 - beta1 ** this.steps;
    const biasCorrection2Root = Math.sqrt(1 - beta2 ** this.steps);
    const settings = { stepSize: learningRate / biasCorrection1, beta1, beta2, epsilon, weightDecay, biasCorrection2Root };
    this.parameters.forEach((p, index) => {
      this.kernels.adamStep(p.data, p.grad, this.firstMoments[index], this.secondMoments[index], settings, this.sums);
      this.storeSums(index);
    });
  }

  exportState(): OptimizerState {
    return { type: 'adam', steps: this.steps, buffers: { firstMoment: copyBuffers(this.firstMoments), secondMoment: copyBuffers(this.secondMoments) } };
  }

  importState(state: OptimizerState): void {
    const steps = checkedState(state, 'adam', this.parameters, ['firstMoment', 'secondMoment']);
    restoreBuffers(this.firstMoments, state.buffers.firstMoment);
    restoreBuffers(this.secondMoments, state.buffers.secondMoment);
    this.steps = steps;
  }
}
