/**
 * vanishing: see, measure and fix vanishing and exploding gradients in recurrent networks.
 * The public API; see README.md for a tour.
 */
export { createModel } from './model/model.js';
export type { Model, SequenceBatch, Evaluation, LossAndGradients } from './model/model.js';
export type {
  ModelOptions, ResolvedModelConfig, Architecture, CellType, Nonlinearity, HeadPlacement, InitScheme, LossKind,
} from './model/config.js';
export type { Parameter, Dtype } from './model/parameters.js';
export type { Kernels, FloatArray, Activation } from './kernels/kernels.js';
export { tsKernels } from './kernels/ts-kernels.js';
export { defaultKernels, kernelsName, kernelsNotice } from './kernels/select.js';
export { SeededRandom } from './random.js';
