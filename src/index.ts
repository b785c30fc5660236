/**
 * vanishing: see, measure and fix vanishing and exploding gradients in recurrent networks.
 * The public API; see README.md for a tour.
 */
export { createModel } from './model/model.js';
export type { Model, SequenceBatch, Evaluation, LossAndGradients, GradientOptions, GradientThroughTime } from './model/model.js';
export type {
  ModelOptions, ResolvedModelConfig, Architecture, CellType, Nonlinearity, HeadPlacement, InitScheme, LossKind,
} from './model/config.js';
export type { Parameter, Dtype } from './model/parameters.js';
export type { Kernels, FloatArray, Activation } from './kernels/kernels.js';
export { tsKernels } from './kernels/ts-kernels.js';
export { defaultKernels, kernelsName, kernelsNotice } from './kernels/select.js';
export { SeededRandom } from './random.js';
export { loadDataset, datasetCatalog } from './data/load.js';
export type { DatasetOptions, DatasetDescription } from './data/load.js';
export { trainExperiment } from './train/trainer.js';
export type { TrainingOptions, TrainingOutcome, BatchSource } from './train/trainer.js';
export { batchSourceFromDataset } from './train/batch-source.js';
export { diagnose, defaultDiagnosisThresholds, traceOfBatches } from './diagnose/index.js';
export type { DiagnosisThresholds, DiagnosisInput, DiagnosisTask, DiagnosisSetup, RunTrace } from './diagnose/index.js';
export type { BatchRecord, EpochRecord, ExperimentSummary, ExperimentMetrics, Verdict, VerdictKind, LearningKind } from './record/metrics.js';
export { loadSuite, resolveSuite } from './experiments/suite.js';
export type { Suite, ExperimentConfig, SuiteOverrides } from './experiments/suite.js';
export { runSuite } from './experiments/run-suite.js';
export type { RunSuiteOptions, SuiteOutcome, SuiteRecord } from './experiments/run-suite.js';
export { runExperiment } from './experiments/run-experiment.js';
export { InputError } from './experiments/errors.js';
export { buildReport, buildComparisonReport, readRunFolder, ReportInputError } from './report/index.js';
export type { ReportOptions, ReportOutcome } from './report/index.js';
