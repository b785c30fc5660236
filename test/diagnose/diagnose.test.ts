/**
 * The verdict on constructed records whose rates are known: each rule of the diagnosis (time at
 * the input, the top layer's recurrence, depth by gradient and by update, the whole run, the
 * learning answer) on profiles built from exact geometric factors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose, traceOfBatches } from '../../src/diagnose/diagnose.js';
import type { DiagnosisInput } from '../../src/diagnose/diagnose.js';
import { fitRate, theilSenSlope } from '../../src/diagnose/rate-fit.js';
import { formatNumber } from '../../src/diagnose/sentences.js';
import { layerOfParameter } from '../../src/diagnose/parameter-layers.js';
import type { BatchRecord, EpochRecord, RecordedNumber } from '../../src/record/metrics.js';

function names(numLayers: number): string[] {
  const list: string[] = [];
  for (let l = 0; l < numLayers; l++) list.push(`rnn.weight_ih_l${l}`, `rnn.weight_hh_l${l}`, `rnn.bias_ih_l${l}`, `rnn.bias_hh_l${l}`);
  return [...list, 'fc.weight', 'fc.bias'];
}

/** A profile over steps 0..T−1 that changes by `factor` per step going back from the last step. */
function backThroughTime(steps: number, factor: number, last = 1): number[] {
  return Array.from({ length: steps }, (_, t) => last * factor ** (steps - 1 - t));
}

interface Shape {
  layers?: number;
  steps?: number;
  /** Per step factor of the gradient arriving at the input. */
  arrival?: number;
  /** Per step factor of the top layer's recurrence. */
  recurrence?: number;
  /** Per layer factor of the recurrent weights' gradient (top to bottom). */
  perLayer?: number;
  /** Per layer factor of the update ratio (defaults to perLayer). */
  updatePerLayer?: number;
  /** Per layer factor of the gradient arriving at the hidden states (defaults to perLayer). */
  arrivingPerLayer?: number;
  loss?: number;
  validationLoss?: number | null;
  totalNorm?: number;
  zeroBelow?: number;
}

function gradientNorms(shape: Shape, layerFactor: number, top = 0.1): Record<string, RecordedNumber> {
  const L = shape.layers ?? 5;
  const norms: Record<string, RecordedNumber> = {};
  for (const name of names(L)) {
    const layer = layerOfParameter(name);
    norms[name] = layer === null ? top : layer < (shape.zeroBelow ?? 0) ? 0 : top * layerFactor ** (L - 1 - layer);
  }
  return norms;
}

/** Hidden-state gradients: every layer's profile falls `recurrence` per step back through time (`arrival` if unset) and its size `arrivingPerLayer` per layer down the stack. */
function hiddenNorms(shape: Shape): number[][] {
  const L = shape.layers ?? 5;
  const T = shape.steps ?? 20;
  const perLayer = shape.arrivingPerLayer ?? shape.perLayer ?? 1;
  return Array.from({ length: L }, (_, l) => backThroughTime(T, shape.recurrence ?? shape.arrival ?? 1, perLayer ** (L - 1 - l)));
}

function batch(shape: Shape): BatchRecord {
  const L = shape.layers ?? 5;
  const T = shape.steps ?? 20;
  return {
    epoch: 1, batch: 1, batchSize: 32, loss: shape.loss ?? 2.3, accuracy: 0.1,
    gradientNorms: gradientNorms(shape, shape.perLayer ?? 1), totalGradientNorm: shape.totalNorm ?? 1, minLayerGradientNorm: 1e-3,
    minLayerParameter: 'rnn.bias_ih_l0', zeroGradientParameters: 0, rescaleFactor: 1,
    updateToWeightRatio: gradientNorms(shape, shape.updatePerLayer ?? shape.perLayer ?? 1, 1e-3), saturatedFraction: new Array<number>(L).fill(0.1),
    activationRms: new Array<number>(L).fill(0.5), hiddenGradientNorms: hiddenNorms(shape), inputGradientNorms: backThroughTime(T, shape.arrival ?? 1),
  };
}

function epoch(index: number, shape: Shape): EpochRecord {
  const b = batch(shape);
  return {
    epoch: index, batches: 10, meanLoss: shape.loss ?? 2.3, meanAccuracy: 0.3, meanTotalGradientNorm: shape.totalNorm ?? 1, meanMinLayerGradientNorm: 1e-3,
    meanGradientNorms: b.gradientNorms, lastTotalGradientNorms: [1], meanHiddenGradientNorms: b.hiddenGradientNorms!, meanInputGradientNorms: b.inputGradientNorms!,
    meanLastStepProbe: null, meanSaturatedFraction: b.saturatedFraction, meanActivationRms: b.activationRms, meanUpdateToWeightRatio: b.updateToWeightRatio,
    validationLoss: shape.validationLoss === undefined ? shape.loss ?? 2.3 : shape.validationLoss, validationAccuracy: 0.3, seconds: 1,
  };
}

/** A run whose first batch and last epoch both have `shape` (or `init` for the first batch). */
function input(shape: Shape, options: { init?: Shape; lag?: number; epochs?: number; batches?: BatchRecord[] } = {}): DiagnosisInput {
  const L = shape.layers ?? 5;
  const T = shape.steps ?? 20;
  const first = batch(options.init ?? shape);
  const epochs = Array.from({ length: options.epochs ?? 1 }, (_, i) => epoch(i + 1, shape));
  return {
    epochs, divergence: null, firstBatch: first, trace: traceOfBatches(options.batches ?? [first]), parameterNames: names(L), numLayers: L, steps: T,
    task: { lossAtEveryStep: false, requiredLag: { steps: options.lag ?? T - 1, reason: 'constructed' }, chance: { loss: 2.3, accuracy: 0.1, zeroOutputLoss: 2.3 } },
  };
}

test('the Theil–Sen fit recovers a geometric rate exactly and ignores odd ends', () => {
  const profile = backThroughTime(30, 0.8);
  const fit = fitRate((d) => profile[29 - d], 1, 28);
  assert.ok(fit !== null && Math.abs(fit.perUnit - 0.8) < 1e-12);
  // The first and last step far off the line barely move a fit over the whole profile.
  const odd = [...profile];
  odd[0] *= 1e6;
  odd[29] *= 1e-6;
  const robust = fitRate((d) => odd[29 - d], 0, 29);
  assert.ok(robust !== null && Math.abs(robust.perUnit - 0.8) < 1e-9, String(robust?.perUnit));
  assert.equal(theilSenSlope([0, 1, 2], [0, -Infinity, -Infinity]), -Infinity);
});

test('time: judged at the input over the distance the task needs, in time constants', () => {
  // 0.7 per step over 19 steps: 19 · 0.357 = 6.8 time constants, vanishing.
  const vanishing = diagnose(input({ layers: 1, arrival: 0.7 }));
  assert.equal(vanishing.kind, 'vanishing', vanishing.evidence.join('\n'));
  assert.ok(Math.abs((vanishing.measures.timePerStep as number) - 0.7) < 1e-9);
  assert.ok(Math.abs((vanishing.measures.timeConstantsOverLag as number) - 19 * -Math.log(0.7)) < 1e-9);
  assert.match(vanishing.headline, /^Gradients vanish back through time \(0\.7× per step, a factor 1\.1e-3 over the 19 steps the task needs\)/);
  // The same rate over fewer steps: 3 steps the task needs are 3 · 0.357 = 1.07 time constants,
  // healthy; 5 steps are 1.78, borderline.
  assert.equal(diagnose(input({ layers: 1, arrival: 0.7 }, { lag: 3 })).kind, 'healthy');
  assert.equal(diagnose(input({ layers: 1, arrival: 0.7 }, { lag: 5 })).kind, 'borderline');
});

test('a rate inside the band is borderline for every length inside it, not flipped by a few steps', () => {
  // 0.97 per step: ξ = 32.8 steps; borderline from 49 to 196 steps, vanishing from 197.
  const at = (steps: number) => diagnose(input({ layers: 1, steps: steps + 1, arrival: 0.97 })).kind;
  for (const steps of [60, 100, 150, 190]) assert.equal(at(steps), 'borderline', `T = ${steps}`);
  for (const steps of [200, 228, 400]) assert.equal(at(steps), 'vanishing', `T = ${steps}`);
  assert.equal(at(40), 'healthy');
});

test('growth at the input of a deep stack is the paths adding up, not an explosion; the top layer\'s recurrence decides', () => {
  // The same growth at the input (1.2× per step over the 99 steps the task needs) in a 20-layer
  // stack, under two top-layer recurrences: only the recurrence tells the verdicts apart.
  const paths = diagnose(input({ layers: 20, steps: 100, arrival: 1.2, recurrence: 0.74, perLayer: 1 }));
  assert.equal(paths.kind, 'healthy', paths.evidence.join('\n'));
  assert.equal(paths.atInitialisation?.kind, 'healthy');
  assert.ok(paths.evidence.some((line) => line.includes('many paths down and back through time add up')), paths.evidence.join('\n'));
  const growing = diagnose(input({ layers: 20, steps: 100, arrival: 1.2, recurrence: 1.1, perLayer: 1 }));
  assert.equal(growing.kind, 'exploding', growing.evidence.join('\n'));
  assert.equal(growing.atInitialisation?.kind, 'exploding');
  assert.match(growing.headline, /^Gradients explode back through time \(1\.1× per step in the top layer, a factor 1\.3e4 over the 99 steps the task needs\)/);
  // One layer has no paths to add up: its growth at the input is its recurrence, and explodes.
  const single = diagnose(input({ layers: 1, steps: 100, arrival: 1.1, recurrence: 1.1 }));
  assert.equal(single.kind, 'exploding', single.evidence.join('\n'));
  assert.equal(single.atInitialisation?.kind, 'exploding');
});

test('depth: the per-layer rate over L − 1 layers, growth toward the input is exploding', () => {
  const vanishing = diagnose(input({ layers: 20, perLayer: 0.7 }));
  assert.equal(vanishing.kind, 'vanishing', vanishing.evidence.join('\n'));
  assert.match(vanishing.headline, /^Gradients vanish down the stack \(0\.7× per layer over 19 layers\)/);
  assert.equal(diagnose(input({ layers: 20, perLayer: 0.9 })).kind, 'borderline');
  const exploding = diagnose(input({ layers: 20, perLayer: 1.5 }));
  assert.equal(exploding.kind, 'exploding');
  assert.ok(exploding.evidence.some((line) => line.includes('GROWS toward the input')), exploding.evidence.join('\n'));
});

test('at initialisation depth is also judged on the gradient arriving at each layer, which a weight\'s gradient can hide', () => {
  // The weights' gradient is level (the forward signal grows up as the gradient grows down): the arriving gradient explodes.
  const verdict = diagnose(input({ layers: 20, perLayer: 1 }, { init: { layers: 20, perLayer: 1, arrivingPerLayer: 1.4 } }));
  assert.equal(verdict.atInitialisation?.kind, 'exploding', verdict.evidence.join('\n'));
  assert.equal(verdict.kind, 'exploding');
  assert.ok(verdict.evidence.some((line) => line.includes('arriving at each layer\'s hidden states GROWS')), verdict.evidence.join('\n'));
});

test('at the end depth is judged on the update ratios, which mean the same under SGD and Adam', () => {
  const adam = diagnose(input({ layers: 20, perLayer: 0.5, updatePerLayer: 0.99 }, { init: { layers: 20, perLayer: 0.5 } }));
  assert.equal(adam.atInitialisation?.kind, 'vanishing');
  assert.equal(adam.kind, 'healthy', adam.evidence.join('\n'));
  assert.ok(adam.evidence.some((line) => line.includes('per-parameter step sizes make up for it')), adam.evidence.join('\n'));
});

test('layers that receive nothing are named; updates lost to rounding say why', () => {
  const silent = diagnose(input({ layers: 20, zeroBelow: 7 }));
  assert.equal(silent.kind, 'vanishing');
  assert.match(silent.headline, /no gradient reaches layers 0–6/);
  const rounding = input({ layers: 20 });
  for (let l = 0; l < 7; l++) rounding.epochs[0].meanUpdateToWeightRatio[`rnn.weight_hh_l${l}`] = 0;
  const verdict = diagnose(rounding);
  assert.equal(verdict.kind, 'vanishing');
  assert.ok(verdict.evidence.some((line) => line.includes('below the resolution of float32 weights')), verdict.evidence.join('\n'));
});

test('one step per sequence: W_hh\'s zero gradient is structure, not vanishing', () => {
  const shape: Shape = { layers: 4, steps: 1, perLayer: 0.95 };
  const record = input(shape);
  for (const e of [record.firstBatch!, ...record.epochs]) {
    const norms = 'gradientNorms' in e ? e.gradientNorms : e.meanGradientNorms;
    for (let l = 0; l < 4; l++) norms[`rnn.weight_hh_l${l}`] = 0;
  }
  const verdict = diagnose(record);
  assert.equal(verdict.kind, 'healthy', verdict.evidence.join('\n'));
  assert.ok(verdict.evidence.some((line) => line.includes('zero by construction')));
  assert.ok(verdict.evidence.some((line) => line.includes('time is not judged: each sequence has a single step')));
});

test('exploding is judged over the whole run, and the collapse after a blow-up is not vanishing', () => {
  // Healthy at initialisation; the norm grows a millionfold, then the end looks vanished.
  const norms = [1, 1.1, 0.9, 1, 10, 1e3, 1e6, 1e3, 1e-3, 1e-4];
  const batches = norms.map((norm, i) => ({ ...batch({ layers: 1 }), batch: i + 1, totalGradientNorm: norm }));
  const verdict = diagnose(input({ layers: 1, arrival: 0.5 }, { init: { layers: 1 }, batches }));
  assert.equal(verdict.kind, 'exploding', verdict.evidence.join('\n'));
  assert.equal(verdict.atInitialisation?.kind, 'healthy');
  assert.ok(verdict.evidence.some((line) => line.includes('aftermath, not vanishing')), verdict.evidence.join('\n'));
  assert.match(verdict.headline, /during training \(the total norm reached 1\.0e6× its value at initialisation\)/);
});

test('an explosion at initialisation is never missed, even when training recovers', () => {
  const verdict = diagnose(input({ layers: 1, steps: 100, arrival: 0.99, recurrence: 0.99 }, { init: { layers: 1, steps: 100, arrival: 1.43, recurrence: 1.43 } }));
  assert.equal(verdict.kind, 'exploding', verdict.evidence.join('\n'));
  assert.match(verdict.headline, /at initialisation; by the end they are healthy/);
});

test('outputs that blow up in the first forward pass, and a loss that ends far above chance', () => {
  const blown = diagnose(input({ layers: 3 }, { init: { layers: 3, loss: 9.5e4 } }));
  assert.equal(blown.atInitialisation?.kind, 'exploding');
  assert.ok(blown.evidence.some((line) => line.includes('the outputs had already blown up: the loss was 9.5e4')), blown.evidence.join('\n'));
  const ends = diagnose(input({ layers: 1, loss: 60, validationLoss: 60 }));
  assert.equal(ends.kind, 'exploding');
  assert.equal(ends.learning.kind, 'worse_than_chance');
});

test('a divergence record makes the verdict diverged and names the cause', () => {
  const record = input({ layers: 3 }, { init: { layers: 3, loss: 9.5e4 } });
  const verdict = diagnose({ ...record, divergence: { epoch: 1, batch: 2, reason: 'loss is NaN' } });
  assert.equal(verdict.kind, 'diverged');
  assert.equal(verdict.headline, 'Training diverged (loss is NaN) at epoch 1, batch 2, after the first forward pass had already blown up.');
  assert.equal(verdict.learning.kind, 'unknown');
});

test('did it learn: the loss against chance, a second answer beside the verdict', () => {
  const kinds = [[0.4, 'learned'], [1.5, 'partly'], [2.28, 'at_chance'], [2.6, 'worse_than_chance']] as const;
  for (const [loss, kind] of kinds) assert.equal(diagnose(input({ layers: 1, loss, validationLoss: loss })).learning.kind, kind, String(loss));
  const notLearned = diagnose(input({ layers: 1, loss: 2.3 }));
  assert.equal(notLearned.kind, 'healthy');
  assert.match(notLearned.headline, /^Gradients are healthy: .*; it did not learn \(loss at chance\)\.$/);
  // Still falling at the end: the sentence says more epochs may help.
  const falling = input({ layers: 1, loss: 2.25 }, { epochs: 2 });
  falling.epochs[0].validationLoss = 2.3 * 1.1;
  assert.match(diagnose(falling).learning.sentence, /still falling .*more epochs may help/);
});

test('inconclusive when nothing could be measured, saying which', () => {
  const record = input({ layers: 1 });
  record.firstBatch = { ...record.firstBatch!, hiddenGradientNorms: undefined, inputGradientNorms: undefined };
  Object.assign(record.epochs[0], { meanHiddenGradientNorms: null, meanInputGradientNorms: null });
  const verdict = diagnose(record);
  assert.equal(verdict.kind, 'inconclusive');
  assert.ok(verdict.evidence.some((line) => line.includes('time could not be judged: the gradient through time was not recorded')));
});

test('with the loss read at every step, time is judged on the last-step probe', () => {
  const record = input({ layers: 1, arrival: 1 });
  const probe = { hiddenGradientNorms: [backThroughTime(20, 0.5)], inputGradientNorms: backThroughTime(20, 0.5) };
  record.task = { ...record.task, lossAtEveryStep: true };
  record.firstBatch = { ...record.firstBatch!, lastStepProbe: probe };
  Object.assign(record.epochs[0], { meanLastStepProbe: probe });
  const verdict = diagnose(record);
  assert.equal(verdict.kind, 'vanishing', verdict.evidence.join('\n'));
  assert.ok(Math.abs((verdict.measures.timePerStep as number) - 0.5) < 1e-9);
});

test('the thresholds are the documented defaults and can be changed per experiment', () => {
  const record = input({ layers: 1, arrival: 0.8 });
  // 19 · 0.223 = 4.2 time constants.
  assert.equal(diagnose(record).kind, 'borderline');
  assert.equal(diagnose(record, { vanishingTimeConstants: 4 }).kind, 'vanishing');
  assert.equal(diagnose(record, { borderlineTimeConstants: 5, vanishingTimeConstants: 8 }).kind, 'healthy');
});

test('numbers in sentences are compact', () => {
  assert.equal(formatNumber(0.6712), '0.67');
  assert.equal(formatNumber(0.00048), '4.8e-4');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(Number.NaN), 'NaN');
});

test('a gradient that underflows to exactly 0 within the needed lag vanishes; the rate is fitted before it', () => {
  const record = input({ layers: 1, steps: 60, arrival: 0.9 });
  const profile = record.epochs[0].meanInputGradientNorms!;
  for (let t = 0; t < 30; t++) profile[t] = 0;
  const verdict = diagnose(record);
  assert.equal(verdict.kind, 'vanishing', verdict.evidence.join('\n'));
  assert.ok(Math.abs((verdict.measures.timePerStep as number) - 0.9) < 1e-9);
  assert.ok(verdict.evidence.some((line) => line.includes('underflows to exactly 0 from 30 steps back')), verdict.evidence.join('\n'));
});
