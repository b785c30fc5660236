/**
 * An epoch's aggregates from its batch records: the original's (mean loss, mean total norm,
 * mean smallest-layer norm, mean norm per parameter, the last 10 total norms) and ours.
 */
import type { BatchRecord, EpochRecord, RecordedNumber } from './metrics.js';
import { decodeNumber, encodeNumber } from './metrics.js';

function mean(values: readonly RecordedNumber[]): RecordedNumber {
  if (values.length === 0) return 'NaN';
  let sum = 0;
  for (const value of values) sum += decodeNumber(value);
  return encodeNumber(sum / values.length);
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
  let meanHiddenGradientNorms: RecordedNumber[][] | null = null;
  if (withHidden.length > 0) {
    const first = withHidden[0].hiddenGradientNorms!;
    meanHiddenGradientNorms = first.map((layer, l) => layer.map((_, t) => mean(withHidden.map((b) => b.hiddenGradientNorms![l][t]))));
  }
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
    meanHiddenGradientNorms,
    meanSaturatedFraction: Array.from({ length: layers }, (_, l) => batches.reduce((sum, b) => sum + b.saturatedFraction[l], 0) / batches.length),
    meanUpdateToWeightRatio: meanByName(batches, parameterNames, (b) => b.updateToWeightRatio),
    validationLoss: validation === null ? null : encodeNumber(validation.loss),
    validationAccuracy: validation?.accuracy ?? null,
    seconds,
  };
}
