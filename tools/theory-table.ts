/**
 * Prints the README's tables of predicted (src/theory/mean-field.ts) against measured gradient
 * factors at initialisation, as markdown; nothing in them is written by hand.
 *   node --import tsx tools/theory-table.ts
 * Measured with the default kernels (VANISHING_KERNELS chooses), three seeds, inputs N(0, 1).
 */
import type { Architecture, InitScheme, Nonlinearity } from '../src/model/config.js';
import type { MeanFieldPrediction } from '../src/theory/mean-field.js';
import { predictedPerStepBetween, predictMeanField } from '../src/theory/mean-field.js';
import { measureLikeDiagnosis, measurePerStepFactor } from '../src/theory/measurement.js';

const seeds = [0, 1, 2];

function predicted(model: { architecture: Architecture; nonlinearity: Nonlinearity; init: InitScheme; recurrentGain: number; hiddenSize: number; inputSize: number; numLayers: number }, steps: number, requiredLag: number): MeanFieldPrediction {
  const prediction = predictMeanField({ cell: 'rnn', ...model }, { inputSquaredNorm: new Array<number>(steps).fill(model.inputSize), requiredLag });
  if (!prediction.applies) throw new Error(prediction.reason);
  return prediction;
}

const percent = (measured: number, predictedValue: number): string => `${(100 * (measured / predictedValue - 1)).toFixed(1)} %`;

// One tanh layer, H = 256, T = 100, batch 64, 16 inputs N(0, 1): ‖dL/dh_t‖ between steps 25 and 75.
{
  const [hiddenSize, inputSize, steps, from, to] = [256, 16, 100, 25, 75];
  const lines = [
    '| W_hh init | gain | σ_hh² | q* | χ | predicted √χ at q* | predicted ×/step | measured ×/step | measured − predicted |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const init of ['orthogonal', 'default'] as const) {
    for (const gain of [0.5, 0.8, 1, 1.2, 1.5, 2, 3]) {
      const model = { architecture: 'vanilla' as const, nonlinearity: 'tanh' as const, init, recurrentGain: gain, hiddenSize, inputSize, numLayers: 1 };
      const prediction = predicted(model, steps, steps - 1);
      const window = predictedPerStepBetween(prediction, 0, from, to);
      const measured = measurePerStepFactor({ model: { ...model, numLayers: 1 }, steps, batchSize: 64, inputVariance: 1, window: { from, to }, seeds }).perStep;
      const [layer] = prediction.layers;
      lines.push(`| ${init} | ${gain} | ${prediction.variances.recurrent.toFixed(3)} | ${layer.q.toFixed(3)} | ${layer.chi.toFixed(3)} | ${layer.perStep.toFixed(3)} | ${window.toFixed(3)} | ${measured.toFixed(3)} | ${percent(measured, window)} |`);
    }
  }
  console.log(lines.join('\n'));
}

console.log('');

// Stacks, read as the diagnosis reads a first batch: H = 256, T = 28 steps of 28 inputs N(0, 1) (row-MNIST's shape), batch 32, lag 25.
{
  const [hiddenSize, inputSize, steps, requiredLag] = [256, 28, 28, 25];
  const stacks: readonly [Architecture, Nonlinearity, InitScheme, number, number][] = [
    ['vanilla', 'tanh', 'default', 5, 1],
    ['vanilla', 'tanh', 'default', 20, 1],
    ['vanilla', 'tanh', 'xavier', 20, 1],
    ['vanilla', 'tanh', 'orthogonal', 5, 1.5],
    ['vanilla', 'tanh', 'default', 5, 2.5],
    ['vanilla', 'relu', 'he', 20, 1],
    ['vanilla', 'relu', 'default', 5, 1],
    ['residual', 'relu', 'xavier', 20, 1],
    ['residual', 'tanh', 'default', 20, 1],
    ['vanilla', 'linear', 'identity', 5, 0.9],
  ];
  const lines = [
    '| stack | predicted ×/step (input, over the lag) | measured | predicted ×/layer (arriving) | measured |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const [architecture, nonlinearity, init, numLayers, gain] of stacks) {
    const model = { architecture, nonlinearity, init, recurrentGain: gain, hiddenSize, inputSize, numLayers };
    const prediction = predicted(model, steps, requiredLag);
    const measured = measureLikeDiagnosis({ model, steps, batchSize: 32, inputVariance: 1, seeds, requiredLag });
    const name = `${numLayers} × ${architecture} ${nonlinearity}, ${init}${gain === 1 ? '' : `, gain ${gain}`}`;
    lines.push(`| ${name} | ${prediction.time!.perStep.toFixed(3)} | ${measured.perStep.toFixed(3)} | ${prediction.depth!.perLayer.toFixed(3)} | ${measured.perLayer!.toFixed(3)} |`);
  }
  console.log(lines.join('\n'));
}
