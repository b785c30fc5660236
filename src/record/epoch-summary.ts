/**
 * An epoch's aggregates from its batch records: the original's (mean loss, mean total norm,
 * mean smallest-layer norm, mean norm per parameter, the last 10 total norms) and ours.
 */
import type { BatchRecord, EpochRecord, GradientThroughTimeRecord, RecordedNumber } from './metrics.js';
import { decodeNumber, encodeNumber } from './metrics.js';

function mean(values: readonly RecordedNumber[]): RecordedNumber {
  if (values.length === 0) return 'NaN';
  let sum = 0;
  for (const value of values) sum += decodeNumber(value);
  return encodeNumber(sum / values.length);
}

/** Elementwise mean of equally shaped rows. */
function meanRows(rows: readonly (readonly RecordedNumber[])[]): RecordedNumber[] {
  return rows[0].map((_, i) => mean(rows.map((row) => row[i])));
}

function meanByName(batches: readonly BatchRecord[], names: readonly string[], pick: (b: BatchRecord) => Record<string, RecordedNumber>): Record<string, RecordedNumber> {
  const result: Record<string, RecordedNumber> = {};
  for (const name of names) result[name] = mean(batches.map((b) => pick(b)[name] ?? 'NaN'));
  return result;
}

export function summariseEpoch(
  epoch: number,
  batches: readonly BatchRecord[],
  parameterNames: readonly string[],
  validation: { loss: number; accuracy: number | null } | null,
  seconds: number,
): EpochRecord {
  const classified = batches.every((b) => b.accuracy !== null) && batches.length > 0;
  const sequences = batches.reduce((sum, b) => sum + b.batchSize, 0);
  const withHidden = batches.filter((b) => b.hiddenGradientNorms !== undefined);
  const meanThroughTime = (records: readonly GradientThroughTimeRecord[]): GradientThroughTimeRecord => ({
    hiddenGradientNorms: records[0].hiddenGradientNorms.map((_, l) => meanRows(records.map((r) => r.hiddenGradientNorms[l]))),
    inputGradientNorms: meanRows(records.map((r) => r.inputGradientNorms)),
  });
  const main = withHidden.length > 0
    ? meanThroughTime(withHidden.map((b) => ({ hiddenGradientNorms: b.hiddenGradientNorms!, inputGradientNorms: b.inputGradientNorms ?? [] })))
    : null;
  const probes = withHidden.map((b) => b.lastStepProbe).filter((p): p is GradientThroughTimeRecord => p !== undefined);
  const layers = batches[0]?.saturatedFraction.length ?? 0;
  return {
    epoch,
    batches: batches.length,
    meanLoss: mean(batches.map((b) => b.loss)),
    // Accuracy is weighted by batch size so a short last batch counts for what it holds; the
    // loss is the plain mean over batches, as the original reports it.
    meanAccuracy: classified ? batches.reduce((sum, b) => sum + (b.accuracy ?? 0) * b.batchSize, 0) / sequences : null,
    meanTotalGradientNorm: mean(batches.map((b) => b.totalGradientNorm)),
    meanMinLayerGradientNorm: mean(batches.map((b) => b.minLayerGradientNorm)),
    meanGradientNorms: meanByName(batches, parameterNames, (b) => b.gradientNorms),
    lastTotalGradientNorms: batches.slice(-10).map((b) => b.totalGradientNorm),
    meanHiddenGradientNorms: main?.hiddenGradientNorms ?? null,
    meanInputGradientNorms: main === null || main.inputGradientNorms.length === 0 ? null : main.inputGradientNorms,
    meanLastStepProbe: probes.length > 0 ? meanThroughTime(probes) : null,
    meanActivationRms: layers === 0 ? [] : meanRows(batches.map((b) => b.activationRms)),
    meanSaturatedFraction: Array.from({ length: layers }, (_, l) => batches.reduce((sum, b) => sum + b.saturatedFraction[l], 0) / batches.length),
    meanUpdateToWeightRatio: meanByName(batches, parameterNames, (b) => b.updateToWeightRatio),
    validationLoss: validation === null ? null : encodeNumber(validation.loss),
    validationAccuracy: validation?.accuracy ?? null,
    seconds,
  };
}
