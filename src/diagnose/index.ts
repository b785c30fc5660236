/** Diagnosis: a verdict in words from the recorded metrics. */
export type { DiagnosisInput, DiagnosisThresholds } from './diagnose.js';
export { diagnose, defaultDiagnosisThresholds, diagnosisThresholdsSchema, formatNumber } from './diagnose.js';
export { layerOfParameter, recurrentWeightNames } from './parameter-layers.js';
