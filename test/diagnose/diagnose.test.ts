/**
 * The verdicts: on constructed epoch records whose ratios are known, and end to end on real
 * training runs (a 20-layer default tanh stack vanishes; an LSTM on the same data does not;
 * a run driven to NaN diverged).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose, formatNumber } from '../../src/diagnose/diagnose.js';
import { layerOfParameter, recurrentWeightNames } from '../../src/diagnose/parameter-layers.js';
import type { EpochRecord, RecordedNumber } from '../../src/record/metrics.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import { runExperiment } from '../../src/experiments/run-experiment.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const layers = 5;
const steps = 10;

function names(numLayers: number): string[] {
  const list: string[] = [];
  for (let l = 0; l < numLayers; l++) list.push(`rnn.weight_ih_l${l}`, `rnn.weight_hh_l${l}`, `rnn.bias_ih_l${l}`, `rnn.bias_hh_l${l}`);
  return [...list, 'fc.weight', 'fc.bias'];
}

/** An epoch whose layer l has gradient norm top·perLayer^(L−1−l) and whose ‖dL/dh_t‖ decays perStep per step back. */
function epoch(index: number, options: { perLayer: number; perStep: number; top?: number; total?: number; update?: number; zeroParameter?: string }): EpochRecord {
  const top = options.top ?? 0.1;
  const meanGradientNorms: Record<string, RecordedNumber> = {};
  const meanUpdateToWeightRatio: Record<string, RecordedNumber> = {};
  for (const name of names(layers)) {
    const layer = layerOfParameter(name);
    meanGradientNorms[name] = layer === null ? top : top * options.perLayer ** (layers - 1 - layer);
    meanUpdateToWeightRatio[name] = options.update ?? 1e-3;
  }
  if (options.zeroParameter !== undefined) meanGradientNorms[options.zeroParameter] = 0;
  const hidden = Array.from({ length: layers }, () => Array.from({ length: steps }, (_, t) => options.perStep ** (steps - 1 - t)));
  return {
    epoch: index, batches: 10, meanLoss: 2, meanAccuracy: 0.3, meanTotalGradientNorm: options.total ?? 1, meanMinLayerGradientNorm: 1e-3,
    meanGradientNorms, lastTotalGradientNorms: [1], meanHiddenGradientNorms: hidden, meanSaturatedFraction: new Array<number>(layers).fill(0.1),
    meanUpdateToWeightRatio, validationLoss: 2, validationAccuracy: 0.3, seconds: 1,
  };
}

const input = (epochs: EpochRecord[]) => ({ epochs, divergence: null, parameterNames: names(layers), numLayers: layers });

test('parameter names map to layers for both architectures', () => {
  assert.equal(layerOfParameter('rnn.weight_hh_l3'), 3);
  assert.equal(layerOfParameter('rnn_layers.12.weight_hh_l0'), 12);
  assert.equal(layerOfParameter('fc.weight'), null);
  assert.deepEqual(recurrentWeightNames(names(3)), ['rnn.weight_hh_l0', 'rnn.weight_hh_l1', 'rnn.weight_hh_l2']);
});

test('a gradient shrinking 0.1× per layer is vanishing, and the evidence states the per-layer ratio', () => {
  const verdict = diagnose(input([epoch(1, { perLayer: 0.1, perStep: 1 })]));
  assert.equal(verdict.kind, 'vanishing');
  assert.ok(Math.abs((verdict.measures.depthRatioPerLayer as number) - 0.1) < 1e-12);
  assert.ok(Math.abs((verdict.measures.depthRatioEndToEnd as number) - 1e-4) < 1e-15);
  assert.ok(verdict.evidence.some((line) => line.includes('weight_hh_l0') && line.includes('0.1× per layer')), verdict.evidence.join('\n'));
  assert.match(verdict.headline, /^Gradients vanish down the stack: the lower layers receive/);
});

test('a gradient shrinking 0.5× per step back through time is vanishing, with the per-step ratio in words', () => {
  const verdict = diagnose(input([epoch(1, { perLayer: 1, perStep: 0.4 })]));
  assert.equal(verdict.kind, 'vanishing');
  assert.ok(Math.abs((verdict.measures.timeRatioPerStep_top as number) - 0.4) < 1e-12);
  assert.ok(verdict.evidence.some((line) => line.includes('step 1') && line.includes("0.4× per step")), verdict.evidence.join('\n'));
  assert.match(verdict.headline, /^Gradients vanish back through time: the early time steps receive/);
});

test('with the loss read at every step the time ratio is reported, not judged', () => {
  const verdict = diagnose({ ...input([epoch(1, { perLayer: 1, perStep: 0.4 })]), lossAtEveryStep: true });
  assert.equal(verdict.kind, 'healthy', verdict.evidence.join('\n'));
  assert.ok(Math.abs((verdict.measures.timeRatioPerStep_top as number) - 0.4) < 1e-12);
  assert.ok(verdict.evidence.some((line) => line.includes('read at every step') && line.includes('reported, not judged')), verdict.evidence.join('\n'));
});

test('both at once: the headline names depth and time', () => {
  const verdict = diagnose(input([epoch(1, { perLayer: 0.1, perStep: 0.4 })]));
  assert.match(verdict.headline, /^Gradients vanish down the stack and back through time: the lower layers and the early time steps/);
});

test('bottom layers with exactly zero gradient are named, not given a ratio of "0×"', () => {
  const record = epoch(1, { perLayer: 1, perStep: 1 });
  for (const layer of [0, 1, 2]) record.meanGradientNorms[`rnn.weight_hh_l${layer}`] = 0;
  const verdict = diagnose(input([record]));
  assert.equal(verdict.kind, 'vanishing');
  assert.ok(verdict.evidence.some((line) => line.includes('no gradient at all reaches layers 0–2')), verdict.evidence.join('\n'));
  assert.ok(!verdict.evidence.some((line) => line.includes('0× per layer')), verdict.evidence.join('\n'));
});

test('a gradient that GROWS toward the input is called exploding, not cured', () => {
  const verdict = diagnose(input([epoch(1, { perLayer: 10, perStep: 1 })]));
  assert.equal(verdict.kind, 'exploding');
  assert.ok(verdict.evidence.some((line) => line.includes('GROWS toward the input')), verdict.evidence.join('\n'));
  assert.match(verdict.headline, /^Gradients explode toward the input layers/);
});

test('ratios near 1 everywhere are healthy', () => {
  const verdict = diagnose(input([epoch(1, { perLayer: 0.9, perStep: 0.95 }), epoch(2, { perLayer: 0.9, perStep: 0.95 })]));
  assert.equal(verdict.kind, 'healthy', verdict.evidence.join('\n'));
});

test('an exactly-zero gradient counts as vanished', () => {
  const verdict = diagnose(input([epoch(1, { perLayer: 1, perStep: 1, zeroParameter: 'rnn.bias_ih_l2' })]));
  assert.equal(verdict.kind, 'vanishing');
  assert.equal(verdict.measures.zeroGradientParameters, 1);
  assert.ok(verdict.evidence.some((line) => line.includes('exactly zero')));
});

test('the absolute threshold is configurable and applied as stated', () => {
  const records = [epoch(1, { perLayer: 1, perStep: 1, top: 1e-7 })];
  assert.equal(diagnose(input(records)).kind, 'vanishing');
  assert.equal(diagnose(input(records), { absoluteVanishing: 1e-8 }).kind, 'healthy');
});

test('updates larger than the weights and a growing total norm are exploding', () => {
  assert.equal(diagnose(input([epoch(1, { perLayer: 1, perStep: 1, update: 3 })])).kind, 'exploding');
  const growing = [epoch(1, { perLayer: 1, perStep: 1, total: 1 }), epoch(2, { perLayer: 1, perStep: 1, total: 1000 })];
  const verdict = diagnose(input(growing));
  assert.equal(verdict.kind, 'exploding');
  assert.ok(Math.abs((verdict.measures.totalNormTrendPerEpoch as number) - 1000) < 1e-9);
});

test('a divergence record makes the verdict diverged, naming the batch', () => {
  const verdict = diagnose({ ...input([epoch(1, { perLayer: 1, perStep: 1 })]), divergence: { epoch: 2, batch: 7, reason: 'loss is NaN' } });
  assert.equal(verdict.kind, 'diverged');
  assert.ok(verdict.headline.includes('epoch 2, batch 7'));
});

test('numbers in sentences are compact', () => {
  assert.equal(formatNumber(0.6712), '0.67');
  assert.equal(formatNumber(0.00048), '4.8e-4');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(Number.NaN), 'NaN');
});

function trainOne(experiment: Record<string, unknown>) {
  const suite = resolveSuite({
    defaults: { data: { dataset: 'mnist', variant: 'row', samples: 1500 }, training: { epochs: 2, batch_size: 32, samples_per_epoch: 512 } },
    experiments: [experiment],
  }, 'end-to-end.yaml');
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-diagnose-'));
  try {
    return runExperiment(suite.experiments[0], join(folder, 'experiment'));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

test('end to end: a 20-layer default-init tanh stack on row MNIST is diagnosed vanishing', () => {
  const summary = trainOne({ name: 'deep_tanh', model: { cell: 'rnn', nonlinearity: 'tanh', init: 'default', num_layers: 20, hidden_size: 16 }, training: { epochs: 1, samples_per_epoch: 128 } });
  assert.equal(summary.verdict.kind, 'vanishing', summary.verdict.evidence.join('\n'));
  assert.ok((summary.verdict.measures.depthRatioEndToEnd as number) < 1e-3, summary.verdict.evidence.join('\n'));
});

// An LSTM with PyTorch's default initialisation (forget-gate bias 0) forgets about half its
// state per step until it has learnt to remember: judged after some training, as a user would.
const lstmTraining = { optimizer: 'adam', learning_rate: 0.003, epochs: 3, samples_per_epoch: 1024 };

test('end to end: an LSTM on the same data, trained a little, keeps its gradient through time (healthy)', () => {
  const summary = trainOne({ name: 'lstm', model: { cell: 'lstm', num_layers: 1, hidden_size: 48 }, data: { samples: 3000 }, training: lstmTraining });
  assert.equal(summary.verdict.kind, 'healthy', summary.verdict.evidence.join('\n'));
  assert.ok((summary.verdict.measures.timeRatioEndToEnd_bottom as number) > 1e-3);
});

test('end to end: a run driven to NaN by a huge learning rate is diagnosed diverged and keeps its records', () => {
  const summary = trainOne({ name: 'blowup', model: { architecture: 'residual', cell: 'rnn', nonlinearity: 'relu', init: 'xavier', num_layers: 8, hidden_size: 16 }, training: { learning_rate: 0.5 } });
  assert.equal(summary.status, 'diverged');
  assert.equal(summary.verdict.kind, 'diverged');
  assert.ok(summary.divergence !== null && summary.divergence.batch >= 1);
  assert.match(summary.divergence.reason, /NaN|Infinity/);
});
