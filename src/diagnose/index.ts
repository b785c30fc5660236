/** Diagnosis: a verdict in words from the recorded metrics. */
export type { DiagnosisInput, DiagnosisSetup, DiagnosisTask } from './diagnose.js';
export { diagnose, appendToTrace, traceOfBatches } from './diagnose.js';
export type { DiagnosisThresholds } from './thresholds.js';
export { defaultDiagnosisThresholds } from './thresholds.js';
export { formatNumber } from './sentences.js';
export type { RunTrace } from './measures.js';
export { layerOfParameter, recurrentWeightNames, inputWeightNames, depthWeightNames } from './parameter-layers.js';
export { expectationMismatches, describeExpectation } from './expectation.js';
