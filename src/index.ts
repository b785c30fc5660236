/**
 * vanishing: see, measure and fix vanishing and exploding gradients in recurrent networks.
 *
 * This entry is the engine and its training: models, kernels, the trainer, optimisers, gradient
 * measurement and surgery, and the seeded random numbers. The other layers of the pipeline have
 * their own entries (`vanishing/data`, `vanishing/experiments`, `vanishing/report`) so that a
 * program training a model does not load the dataset readers, the experiment runner or vega:
 * nothing here may import from src/data/load, src/experiments, src/diagnose or src/report
 * (test/api/entry-points.test.ts checks the module graph). See README.md for a tour.
 */
export { createModel } from './model/model.js';
export type { Model, SequenceBatch, Evaluation, LossAndGradients, GradientOptions, GradientThroughTime } from './model/model.js';
export type {
  ModelOptions, ResolvedModelConfig, Architecture, CellType, Nonlinearity, HeadPlacement, InitScheme, LossKind,
} from './model/config.js';
export type { Parameter, Dtype } from './model/parameters.js';

export type {
  Kernels, KernelSettings, FloatArray, Activation, FusedLoops, LayerSequence, LayerSequenceGradients, RnnSequence, RnnSequenceGradients, LstmSequence, LstmSequenceGradients, GruSequence, GruSequenceGradients, SgdStepSettings, AdamStepSettings,
} from './kernels/kernels.js';
export { tsKernels } from './kernels/ts-kernels.js';
export { defaultKernels, chooseKernels, setDefaultKernelThreads, defaultKernelThreads, maxKernelThreads, kernelsName, kernelsNotice } from './kernels/select.js';

export { SeededRandom } from './random.js';
export type { RandomState } from './random.js';

export { Training, trainExperiment } from './train/trainer.js';
export type { TrainingOptions, TrainingOutcome, TrainingState, TrainingListener, BatchProgress, BatchSource } from './train/trainer.js';
export { batchSourceFromDataset } from './train/batch-source.js';
export type { BatchSourceOptions } from './train/batch-source.js';
export { createOptimizer } from './train/optimizers.js';
export type { Optimizer, OptimizerOptions, OptimizerState, SgdOptions, AdamOptions } from './train/optimizers.js';
export { measureGradientNorms, rescaleGradients } from './train/gradient-surgery.js';
export type { GradientNorms, GradientRescaleOptions } from './train/gradient-surgery.js';

// What the trainer records (types only: they appear in TrainingListener and TrainingOutcome).
export type {
  BatchRecord, EpochRecord, DivergenceRecord, GradientThroughTimeRecord, ExperimentSummary, PredictionRecord, RecordedNumber, Verdict, VerdictKind,
  LearningKind, Expectation,
} from './record/metrics.js';
export type { MagnitudeHistogram } from './record/histogram.js';
// batchSourceFromDataset's input: the dataset type alone (loading one is `vanishing/data`).
export type { SequenceDataset, DataSplit, Baseline, RequiredLag } from './data/dataset.js';
