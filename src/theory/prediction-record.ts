/**
 * The mean-field prediction as a run records it: in every experiment's summary.json (so the
 * report and sweep.csv show the prediction beside the measurement without recomputing it), the
 * same numbers `vanishing predict` prints, at initialisation only.
 */
import type { SequenceDataset } from '../data/dataset.js';
import type { ResolvedModelConfig } from '../model/config.js';
import type { PredictionRecord } from '../record/metrics.js';
import { predictMeanField } from './mean-field.js';

/** E‖x_t‖² per step over the training split: the drive the first layer sees at initialisation. */
export function inputSquaredNorm(dataset: SequenceDataset): number[] {
  const { steps, inputSize, train } = dataset;
  const sums = new Array<number>(steps).fill(0);
  for (let sample = 0; sample < train.size; sample++) {
    for (let t = 0; t < steps; t++) {
      const from = (sample * steps + t) * inputSize;
      for (let j = 0; j < inputSize; j++) sums[t] += train.inputs[from + j] ** 2;
    }
  }
  return sums.map((sum) => sum / Math.max(1, train.size));
}

/** The prediction for `model` on `dataset`, judged over `requiredLag` steps, as a summary records it. */
export function predictionRecord(model: ResolvedModelConfig, dataset: SequenceDataset, requiredLag: number): PredictionRecord {
  const prediction = predictMeanField(model, { inputSquaredNorm: inputSquaredNorm(dataset), requiredLag });
  if (!prediction.applies) return { applies: false, reason: prediction.reason, chi: null, recurrencePerStep: null, perStep: null, perLayer: null, exact: false };
  const top = prediction.layers[prediction.layers.length - 1];
  const finite = (value: number | undefined): number | null => (value !== undefined && Number.isFinite(value) ? value : null);
  return {
    applies: true,
    reason: null,
    chi: finite(top.chi),
    recurrencePerStep: finite(top.perStep),
    perStep: finite(prediction.time?.perStep),
    perLayer: finite(prediction.depth?.perLayer),
    exact: prediction.exact,
  };
}
