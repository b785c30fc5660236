/**
 * `vanishing/experiments`: experiment files, the suite runner that trains them into a run folder,
 * what it records, and the diagnosis of the records (recorder → diagnosis in the pipeline). Loads
 * the dataset readers, yaml, ajv and the worker pool, but never the report (vega).
 */
export { loadSuite, resolveSuite } from './suite.js';
export type {
  Suite, SuiteOverrides, ExperimentConfig, ModelSection, TrainingSection, RecordSection, DiagnosisSection, DataSection,
} from './suite.js';
export { runSuite, readSuiteRecord } from './run-suite.js';
export type { RunSuiteOptions, SuiteOutcome, SuiteRecord, SuitePlan, ExperimentPlan, ExperimentOutcome } from './run-suite.js';
export type { PendingWork, TrainPending } from './pending-work.js';
export type { SweepAxisRecord, SweepRecord } from '../record/run-format.js';
export { sweepRows, sweepCsv } from '../record/sweep-table.js';
export type { SweepRow } from '../record/sweep-table.js';
export type { RecordEstimate } from './record-size.js';
export { runExperiment } from './run-experiment.js';
export type { ExperimentEvent, RunExperimentOptions } from './run-experiment.js';
export { listPresets } from './presets.js';
export type { PresetDescription } from './presets.js';
export { InputError } from './errors.js';
export type { FieldSpec, FieldValue, FieldValueOf, SectionOf } from './fields.js';

// What a run records, and what the diagnosis makes of it.
export type {
  BatchRecord, EpochRecord, DivergenceRecord, GradientThroughTimeRecord, ExperimentSummary, ExperimentMetrics, PredictionRecord, RecordedNumber,
  Verdict, VerdictKind, LearningKind, Expectation,
} from '../record/metrics.js';
export type { MagnitudeHistogram } from '../record/histogram.js';
export { diagnose, traceOfBatches, appendToTrace, defaultDiagnosisThresholds } from '../diagnose/index.js';
export type { DiagnosisInput, DiagnosisSetup, DiagnosisTask, DiagnosisThresholds, RunTrace } from '../diagnose/index.js';
