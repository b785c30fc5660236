/**
 * The verdict on one experiment and its evidence, from the recorded metrics alone:
 * - the gradient's decay (or growth) rate back through time, at the input where the signal
 *   arrives, and down the stack, each fitted robustly and compared, in time constants, with the
 *   distance the task needs (measures.ts, rules.ts);
 * - judged twice: at initialisation (the first batch, before any update) and at the end (the
 *   judged epochs); exploding also over the whole run (the total norm against its value at
 *   initialisation and its running median, updates against the weights, the loss against chance);
 * - and a second, separate answer: did it learn (the loss against the chance level).
 * Diverged and exploding take precedence; what follows a blow-up is its aftermath, never
 * "vanishing".
 */
import type { RequiredLag } from '../data/dataset.js';
import type { BatchRecord, DivergenceRecord, EpochRecord, GradientThroughTimeRecord, LearningKind, RecordedNumber, Verdict, VerdictKind } from '../record/metrics.js';
import { decodeNumber, encodeNumber } from '../record/metrics.js';
import type { LearningMeasure, RunTrace, Snapshot, SnapshotMeasures } from './measures.js';
import { measureLearning, measureRun, measureSnapshot } from './measures.js';
import { depthWeightNames, recurrentWeightNames } from './parameter-layers.js';
import type { Judged, SnapshotJudgement } from './rules.js';
import { judgeLearning, judgeRun, judgeSnapshot } from './rules.js';
import {
  batchName, depthHeadlinePhrase, depthSentence, forwardSentence, formatNumber, learningClause, learningSentence, listInWords,
  rescaleSentence, runSentences, timeHeadlinePhrase, timeSentence,
} from './sentences.js';
import type { DiagnosisThresholds } from './thresholds.js';
import { defaultDiagnosisThresholds } from './thresholds.js';

export { formatNumber } from './sentences.js';

/** What the task asks of the gradient, and what a model that learned nothing scores. */
export interface DiagnosisTask {
  /**
   * True when the loss is read at every step (the copy task): then each step's gradient holds its
   * own loss, so time is judged on the last-step probe (the gradient of the last step's loss alone).
   */
  lossAtEveryStep: boolean;
  /** How far back the answer depends on the inputs. */
  requiredLag: RequiredLag;
  /** The chance level (and the loss of all-zero outputs); null when there is none. */
  chance: { loss: number; accuracy?: number; zeroOutputLoss?: number } | null;
}

/** The experiment's setup, for sentences that name a cause. All optional. */
export interface DiagnosisSetup {
  init?: string;
  nonlinearity?: string;
  cell?: string;
  clipMinNorm?: number | null;
}

export interface DiagnosisInput {
  epochs: readonly EpochRecord[];
  divergence: DivergenceRecord | null;
  /** The first training batch: the model at initialisation. */
  firstBatch: BatchRecord | null;
  /** Per-batch scalars of the whole run. */
  trace: RunTrace;
  /** Parameter names in PyTorch order. */
  parameterNames: readonly string[];
  numLayers: number;
  /** Time steps per sequence. */
  steps: number;
  task: DiagnosisTask;
  setup?: DiagnosisSetup;
}

/** Adds a batch's scalars to a run trace. */
export function appendToTrace(trace: RunTrace, record: BatchRecord): void {
  trace.epoch.push(record.epoch);
  trace.batch.push(record.batch);
  trace.loss.push(decodeNumber(record.loss));
  trace.totalGradientNorm.push(decodeNumber(record.totalGradientNorm));
  trace.rescaleFactor.push(record.rescaleFactor);
}

/** The run trace of a list of batch records (empty for none). */
export function traceOfBatches(batches: readonly BatchRecord[]): RunTrace {
  const trace: RunTrace = { epoch: [], batch: [], loss: [], totalGradientNorm: [], rescaleFactor: [] };
  for (const record of batches) appendToTrace(trace, record);
  return trace;
}

const decodeAll = (values: readonly RecordedNumber[]): number[] => values.map(decodeNumber);

/** Elementwise mean of equally long rows, or null when there are none. */
function meanRows(rows: readonly (readonly number[])[]): number[] | null {
  if (rows.length === 0) return null;
  return rows[0].map((_, i) => rows.reduce((sum, row) => sum + row[i], 0) / rows.length);
}

function throughTime(record: GradientThroughTimeRecord | undefined | null): { input: number[]; hidden: number[][] } | null {
  if (record === undefined || record === null || record.inputGradientNorms.length === 0) return null;
  return { input: decodeAll(record.inputGradientNorms), hidden: record.hiddenGradientNorms.map(decodeAll) };
}

function initialSnapshot(input: DiagnosisInput, batch: BatchRecord, depthNames: readonly string[]): Snapshot {
  const through = input.task.lossAtEveryStep
    ? throughTime(batch.lastStepProbe)
    : throughTime(batch.hiddenGradientNorms === undefined ? null : { hiddenGradientNorms: batch.hiddenGradientNorms, inputGradientNorms: batch.inputGradientNorms ?? [] });
  const gradient = depthNames.map((name) => decodeNumber(batch.gradientNorms[name] ?? 'NaN'));
  return {
    inputGradient: through?.input ?? null,
    hiddenGradient: through?.hidden ?? null,
    depth: depthNames.length >= 2 ? gradient : null,
    depthKind: 'gradient',
    depthGradient: gradient,
    arrivingGradient: through === null ? null : through.hidden.map((layer) => Math.sqrt(layer.reduce((sum, value) => sum + value * value, 0))),
    activationRms: batch.activationRms === undefined ? null : decodeAll(batch.activationRms),
    saturatedFraction: batch.saturatedFraction,
    loss: decodeNumber(batch.loss),
  };
}

function finalSnapshot(input: DiagnosisInput, judged: readonly EpochRecord[], depthNames: readonly string[]): Snapshot {
  const throughs = judged
    .map((e) => (input.task.lossAtEveryStep
      ? throughTime(e.meanLastStepProbe)
      : throughTime(e.meanHiddenGradientNorms === null ? null : { hiddenGradientNorms: e.meanHiddenGradientNorms, inputGradientNorms: e.meanInputGradientNorms ?? [] })))
    .filter((t): t is { input: number[]; hidden: number[][] } => t !== null);
  const hidden = throughs.length === 0 ? null : throughs[0].hidden.map((_, l) => meanRows(throughs.map((t) => t.hidden[l]))!);
  const perLayer = (pick: (e: EpochRecord) => Record<string, RecordedNumber>): number[] =>
    meanRows(judged.map((e) => depthNames.map((name) => decodeNumber(pick(e)[name] ?? 'NaN'))))!;
  const activations = judged.filter((e) => e.meanActivationRms !== undefined && e.meanActivationRms.length > 0);
  return {
    inputGradient: meanRows(throughs.map((t) => t.input)),
    hiddenGradient: hidden,
    depth: depthNames.length >= 2 ? perLayer((e) => e.meanUpdateToWeightRatio) : null,
    depthKind: 'update',
    depthGradient: depthNames.length >= 2 ? perLayer((e) => e.meanGradientNorms) : null,
    arrivingGradient: null,
    activationRms: meanRows(activations.map((e) => decodeAll(e.meanActivationRms))),
    saturatedFraction: meanRows(judged.map((e) => e.meanSaturatedFraction)),
    loss: judged.reduce((sum, e) => sum + decodeNumber(e.meanLoss), 0) / judged.length,
  };
}

function shortName(name: string): string {
  return name.replace(/^rnn\./, '').replace(/^rnn_layers\.(\d+)\./, 'layer $1 ');
}

/** A cause the setup names for a forward signal that dies or blows up. */
function forwardCause(setup: DiagnosisSetup | undefined, dies: boolean, numLayers: number): string | null {
  if (setup === undefined) return null;
  if (dies && setup.init === 'identity') {
    return `The identity initialisation (IRNN) draws the input weights from N(0, 0.001²): each of the ${numLayers} layers passes on about a thousandth of what it receives, so the signal underflows on the way up.`;
  }
  return null;
}

interface Findings {
  /** Evidence sentences, in order. */
  sentences: string[];
  /** Where gradients were judged, with the status and a short phrase for headlines. */
  places: { where: 'time' | 'depth'; phrase: string; judged: Judged }[];
  /** The first forward pass blew up (initialisation only): a phrase for headlines, or null. */
  outputsBlewUp: string | null;
}

function snapshotFindings(when: string, measures: SnapshotMeasures, judgement: SnapshotJudgement, snapshot: Snapshot, input: DiagnosisInput, depthNames: readonly string[], t: DiagnosisThresholds): Findings {
  const sentences: string[] = [];
  const places: Findings['places'] = [];
  const lag = input.task.requiredLag;
  if (measures.time !== null && (judgement.time !== null || measures.time.inputSilent)) {
    sentences.push(...timeSentence(when, measures.time, judgement.time, lag, input.numLayers, t));
    if (judgement.time !== null) places.push({ where: 'time', phrase: `back through time (${timeHeadlinePhrase(measures.time, judgement.time, input.numLayers)})`, judged: judgement.time });
  } else if (input.steps < 2) {
    sentences.push(`${when}, time is not judged: each sequence has a single step.`);
  } else if (lag.steps < 1) {
    sentences.push(`${when}, time is not judged: the answer depends on its own step only (${lag.reason}).`);
  } else {
    sentences.push(`${when}, time could not be judged: the gradient through time was ${snapshot.inputGradient === null ? 'not recorded' : 'not finite'}.`);
  }
  if (judgement.depth !== null && measures.depth !== null) {
    const names = { bottom: shortName(depthNames[0]), top: shortName(depthNames[depthNames.length - 1]) };
    sentences.push(depthSentence(when, measures.depth, judgement.depth, snapshot.depthKind, names, t));
    const where = judgement.depth.direction === 'grows' ? 'toward the input layers' : 'down the stack';
    places.push({ where: 'depth', phrase: `${where} (${depthHeadlinePhrase(measures.depth, judgement.depth)})`, judged: judgement.depth });
  } else if (input.numLayers > 1) {
    sentences.push(`${when}, depth could not be judged: the layers' ${snapshot.depthKind === 'update' ? 'update ratios' : 'gradients'} were not finite.`);
  }
  if (measures.forward !== null) {
    const cause = forwardCause(input.setup, judgement.forwardDies, input.numLayers);
    const relu = input.setup?.cell === 'rnn' && input.setup.nonlinearity === 'relu';
    const sentence = forwardSentence(when, measures.forward, judgement.forwardDies, judgement.forwardBlowsUp, relu, cause);
    if (sentence !== null) sentences.push(sentence);
  }
  let outputsBlewUp: string | null = null;
  if (judgement.lossBlewUp && input.task.chance !== null) {
    const scale = untrainedScale(input.task.chance);
    const times = formatNumber(snapshot.loss / scale);
    sentences.unshift(`${when}, the outputs had already blown up: the loss was ${formatNumber(snapshot.loss)}, ${times}× what all-zero outputs or chance would score (${formatNumber(scale)}).`);
    outputsBlewUp = `loss ${times}× an untrained model's`;
  }
  return { sentences, places, outputsBlewUp };
}

/** A loss counts as blown up against the larger of chance and what all-zero outputs score. */
function untrainedScale(chance: NonNullable<DiagnosisTask['chance']>): number {
  return Math.max(chance.loss, chance.zeroOutputLoss ?? 0);
}

/** The headline phrases of the places with this status: "down the stack (…)", "back through time (…)". */
function placesOf(findings: Findings | null, status: Judged['status']): string[] {
  return findings === null ? [] : findings.places.filter((p) => p.judged.status === status).map((p) => p.phrase);
}

/** One moment judged: the first batch (initialisation) or the judged final epochs. */
interface Moment {
  snapshot: Snapshot;
  measures: SnapshotMeasures;
  judgement: SnapshotJudgement;
  findings: Findings;
}

function judgeMoment(when: string, snapshot: Snapshot | null, untrained: number | null, input: DiagnosisInput, depthNames: readonly string[], t: DiagnosisThresholds): Moment | null {
  if (snapshot === null) return null;
  const measures = measureSnapshot(snapshot, input.task.requiredLag.steps);
  const judgement = judgeSnapshot(measures, snapshot.loss, untrained, input.numLayers, t);
  return { snapshot, measures, judgement, findings: snapshotFindings(when, measures, judgement, snapshot, input, depthNames, t) };
}

/** A moment's numbers into the verdict's measures, named `timePerStep` (end) or `initTimePerStep`. */
function recordMoment(put: (name: string, value: number | null | undefined) => void, prefix: '' | 'init', moment: Moment | null): void {
  if (moment === null) return;
  const name = (base: string): string => (prefix === '' ? base : `${prefix}${base[0].toUpperCase()}${base.slice(1)}`);
  const { time, depth, forward } = moment.measures;
  put(name('loss'), moment.snapshot.loss);
  put(name('timePerStep'), time?.arrival?.fit.perUnit);
  put(name('timeConstantsOverLag'), time?.arrival?.span);
  put(name('recurrencePerStep'), time?.recurrence?.fit.perUnit);
  put(name('depthPerLayer'), depth?.judged?.fit.perUnit);
  put(name('arrivingPerLayer'), depth?.arriving?.fit.perUnit);
  put(name('depthGradientPerLayer'), depth?.gradient?.fit.perUnit);
  put(name('depthBottomOverTop'), depth?.bottomOverTop);
  put(name('forwardPerLayer'), forward?.rate?.fit.perUnit);
}

/**
 * The original program's reading: the smallest per-parameter gradient over the judged epochs,
 * leaving out W_hh when there is one step (its gradient is zero by construction there).
 */
function originalReading(input: DiagnosisInput, judged: readonly EpochRecord[], structurallyZero: ReadonlySet<string>): { name: string; value: number } | null {
  let smallest: { name: string; value: number } | null = null;
  for (const name of input.parameterNames) {
    if (structurallyZero.has(name) || judged.length === 0) continue;
    const value = judged.reduce((sum, e) => sum + decodeNumber(e.meanGradientNorms[name] ?? 'NaN'), 0) / judged.length;
    if (smallest === null || value < smallest.value) smallest = { name, value };
  }
  return smallest;
}

export function diagnose(input: DiagnosisInput, overrides: Partial<DiagnosisThresholds> = {}): Verdict {
  const t: DiagnosisThresholds = { ...defaultDiagnosisThresholds, ...overrides };
  const { epochs, divergence, trace, task } = input;
  const measures: Record<string, RecordedNumber | null> = {};
  const put = (name: string, value: number | null | undefined): void => {
    measures[name] = value === null || value === undefined ? null : encodeNumber(value);
  };
  const depthNames = depthWeightNames(input.parameterNames, input.steps);
  const untrained = task.chance === null ? null : untrainedScale(task.chance);
  put('requiredLag', task.requiredLag.steps);

  // The second answer: did it learn (the validation loss against chance, else the training loss)?
  const last = epochs.at(-1);
  const learningMeasure: LearningMeasure | null = last === undefined ? null : measureLearning({
    validationLoss: last.validationLoss === null ? null : decodeNumber(last.validationLoss),
    trainingLoss: decodeNumber(last.meanLoss),
    accuracy: last.validationAccuracy ?? last.meanAccuracy,
    chance: task.chance,
    lossPerEpoch: epochs.map((e) => decodeNumber(e.validationLoss ?? e.meanLoss)),
  });
  const learningKind: LearningKind = judgeLearning(learningMeasure, divergence !== null, t);
  put('lossOverChance', learningMeasure?.lossOverChance);
  const learning = { kind: learningKind, sentence: learningSentence(learningKind, learningMeasure, epochs.length, divergence !== null) };

  // At initialisation, and at the end. A run that diverged in its first batches has no end worth
  // judging: its one batch is the initialisation.
  const initial = judgeMoment('At initialisation', input.firstBatch === null ? null : initialSnapshot(input, input.firstBatch, depthNames), untrained, input, depthNames, t);
  const endJudgeable = divergence === null || (last?.batches ?? 0) > 1;
  const judged = endJudgeable ? epochs.slice(-Math.min(t.judgedEpochs, epochs.length)) : [];
  const before = divergence === null ? '' : ', before it diverged';
  const when = judged.length === 1 ? `In epoch ${judged[0].epoch}${before}` : `In epochs ${judged[0]?.epoch}–${judged.at(-1)?.epoch}${before}`;
  const final = judgeMoment(when, judged.length === 0 ? null : finalSnapshot(input, judged, depthNames), null, input, depthNames, t);
  recordMoment(put, 'init', initial);
  recordMoment(put, '', final);

  // Over the whole run.
  const run = measureRun(trace);
  const updateRatiosPerEpoch = epochs.map((e) => ({
    epoch: e.epoch,
    ratios: Object.fromEntries(Object.entries(e.meanUpdateToWeightRatio).map(([name, value]) => [name, decodeNumber(value)])),
  }));
  const runJudgement = judgeRun(run, trace, learningMeasure, untrained, updateRatiosPerEpoch, t);
  put('initialTotalGradientNorm', run?.initialNorm);
  put('largestTotalGradientNorm', run?.largestNorm);
  put('totalNormGrowth', run?.growth);
  put('totalNormSpike', run?.spike);
  put('rescaledBatchFraction', run?.rescaledFraction);
  put('medianRescaleFactor', run?.medianRescale);
  const structurallyZero = new Set(input.steps < 2 ? recurrentWeightNames(input.parameterNames) : []);
  const smallest = originalReading(input, judged, structurallyZero);
  put('minLayerGradientNorm', smallest?.value);
  const saturation = final?.snapshot.saturatedFraction ?? initial?.snapshot.saturatedFraction ?? null;
  if (saturation !== null && saturation.length > 0) put('largestSaturatedFraction', Math.max(...saturation));

  // The verdict: diverged, then exploding anywhere in the run, then the end's (what follows an
  // explosion — dead ReLU units, a collapsed gradient — is its aftermath, not vanishing).
  const initKind = initial?.judgement.kind ?? null;
  const aftermath = runJudgement.explodedAt !== null && final?.judgement.kind === 'vanishing';
  const endKind: VerdictKind | null = aftermath ? 'exploding' : final?.judgement.kind ?? null;
  let kind: VerdictKind;
  if (divergence !== null) kind = 'diverged';
  else if (initKind === 'exploding' || runJudgement.exploded || endKind === 'exploding') kind = 'exploding';
  else kind = endKind ?? initKind ?? 'inconclusive';

  const evidence: string[] = [];
  if (divergence !== null) evidence.push(`Training diverged at epoch ${divergence.epoch}, batch ${divergence.batch}: ${divergence.reason}.`);
  if (final !== null) evidence.push(...final.findings.sentences);
  const showInitial = final === null || initKind !== final.judgement.kind || kind === 'diverged' || initKind === 'exploding';
  if (initial !== null && showInitial) evidence.push(...initial.findings.sentences);
  evidence.push(...runSentences(run, runJudgement, trace, learningMeasure, t));
  if (aftermath && runJudgement.explodedAt !== null) {
    evidence.push(`The small gradients at the end come after the blow-up at ${batchName(trace, runJudgement.explodedAt)} (units it drove into saturation or killed pass almost nothing): its aftermath, not vanishing.`);
  }
  const rescale = rescaleSentence(run, (input.setup?.clipMinNorm ?? null) !== null);
  if (rescale !== null) evidence.push(rescale);
  if (saturation !== null && saturation.length > 0) {
    const worst = saturation.reduce((best, value, layer) => (value > saturation[best] ? layer : best), 0);
    if (saturation[worst] >= 0.5) evidence.push(`Layer ${worst} has ${Math.round(100 * saturation[worst])} % of its units saturated or dead, where almost no gradient passes.`);
  }
  if (structurallyZero.size > 0) {
    evidence.push('With one step per sequence the recurrent weights W_hh get no gradient at all (h_{-1} = 0): zero by construction, not vanished.');
  }
  if (smallest !== null && Number.isFinite(smallest.value)) {
    evidence.push(`The original program's reading: the smallest gradient, ${smallest.name}'s, is ${formatNumber(smallest.value)}, ${smallest.value <= t.absoluteVanishing ? 'below' : 'above'} its threshold ${formatNumber(t.absoluteVanishing)} (reported, not judged: it depends on the loss's scale, not on how far the gradient travels).`);
  }
  evidence.push(learning.sentence);

  const headline = headlineOf(kind, {
    divergence, initFindings: initial?.findings ?? null, endFindings: final?.findings ?? null, endKind, initKind, runJudgement, run, trace, learningKind, aftermath, task, numLayers: input.numLayers,
  });
  const atInitialisation = initial === null ? null : { kind: initial.judgement.kind, headline: snapshotHeadline(initial.judgement.kind, initial.findings, task, input.numLayers) };
  return { kind, headline, atInitialisation, learning, evidence, measures };
}

/** A snapshot's own headline (the verdict at initialisation). */
function snapshotHeadline(kind: VerdictKind, findings: Findings, task: DiagnosisTask, numLayers: number): string {
  switch (kind) {
    case 'exploding': {
      const places = placesOf(findings, 'exploding');
      const outputs = findings.outputsBlewUp === null ? '' : `the first forward pass blows up (${findings.outputsBlewUp})`;
      if (places.length === 0) return `Exploding: ${outputs}.`;
      return `Gradients explode ${listInWords(places)}${outputs === '' ? '' : `, and ${outputs}`}.`;
    }
    case 'vanishing': return `Gradients vanish ${listInWords(placesOf(findings, 'vanishing'))}.`;
    case 'borderline': return `Gradients are borderline ${listInWords(placesOf(findings, 'borderline'))}.`;
    case 'healthy': return `Gradients are healthy: ${reach(task, numLayers)}.`;
    default: return `Inconclusive: ${findings.sentences[0] ?? 'nothing could be measured'}`;
  }
}

function reach(task: DiagnosisTask, numLayers: number): string {
  const layers = numLayers > 2 ? `all ${numLayers} layers` : numLayers === 2 ? 'both layers' : '';
  const steps = task.requiredLag.steps >= 1 ? `the ${task.requiredLag.steps} step${task.requiredLag.steps === 1 ? '' : 's'} back the task needs` : '';
  return `they reach ${listInWords([layers, steps].filter((part) => part !== ''))}`;
}

interface HeadlineParts {
  divergence: DivergenceRecord | null;
  initFindings: Findings | null;
  endFindings: Findings | null;
  endKind: VerdictKind | null;
  initKind: VerdictKind | null;
  runJudgement: ReturnType<typeof judgeRun>;
  run: ReturnType<typeof measureRun>;
  trace: RunTrace;
  learningKind: LearningKind;
  aftermath: boolean;
  task: DiagnosisTask;
  numLayers: number;
}

/** The explosions, in the order they happened: at initialisation, during training, by the end. */
function explodingHeadline(p: HeadlineParts): string {
  const clauses: string[] = [];
  const initial = p.initKind === 'exploding' ? placesOf(p.initFindings, 'exploding') : [];
  if (initial.length > 0) clauses.push(`${listInWords(initial)} at initialisation`);
  if (p.runJudgement.grewAt !== null || p.runJudgement.spikedAt !== null) {
    clauses.push(`during training (the total norm reached ${formatNumber(p.run?.growth ?? Number.NaN)}× its value at initialisation)`);
  }
  if (p.runJudgement.largeUpdates.length > 0) clauses.push('into updates larger than the weights');
  const judgedAtStart = new Set(p.initKind === 'exploding' ? p.initFindings?.places.filter((place) => place.judged.status === 'exploding').map((place) => place.where) : []);
  const atEnd = (p.endFindings?.places ?? []).filter((place) => place.judged.status === 'exploding' && !judgedAtStart.has(place.where));
  if (atEnd.length > 0) clauses.push(`${listInWords(atEnd.map((place) => place.phrase))} by the end`);
  const outputs = p.initFindings?.outputsBlewUp ?? null;
  let text = clauses.length > 0 ? `Gradients explode ${listInWords(clauses)}` : outputs !== null ? 'The outputs blow up in the first forward pass' : 'Gradients explode';
  if (outputs !== null) text += clauses.length > 0 ? `; the first forward pass already blows up (${outputs})` : ` (${outputs})`;
  if (p.runJudgement.lossEndsBlownUp && outputs === null) text += '; the loss ends far above chance';
  if (p.aftermath) text += '; what follows the blow-up is its aftermath';
  else if (!p.runJudgement.lossEndsBlownUp && (p.endKind === 'healthy' || p.endKind === 'borderline')) text += `; by the end they are ${p.endKind}`;
  return text;
}

function headlineOf(kind: VerdictKind, p: HeadlineParts): string {
  const learned = learningClause(p.learningKind);
  const withLearning = (gradients: string): string => (learned === '' ? `${gradients}.` : `${gradients}; ${learned}.`);
  if (kind === 'diverged' && p.divergence !== null) {
    const cause = p.initFindings?.outputsBlewUp != null ? ', after the first forward pass had already blown up'
      : p.runJudgement.explodedAt !== null ? ` after the gradients exploded (${batchName(p.trace, p.runJudgement.explodedAt)})` : '';
    return `Training diverged (${p.divergence.reason}) at epoch ${p.divergence.epoch}, batch ${p.divergence.batch}${cause}.`;
  }
  if (kind === 'exploding') return withLearning(explodingHeadline(p));
  const findings = p.endFindings ?? p.initFindings;
  if (findings === null) return withLearning('Inconclusive: no batch was trained');
  switch (kind) {
    case 'vanishing':
      return withLearning(`Gradients vanish ${listInWords(placesOf(findings, 'vanishing'))}`);
    case 'borderline':
      return withLearning(`Gradients are borderline ${listInWords(placesOf(findings, 'borderline'))}`);
    case 'healthy':
      return withLearning(`Gradients are healthy: ${reach(p.task, p.numLayers)}`);
    default:
      return withLearning('Inconclusive: neither time nor depth could be measured (see the evidence)');
  }
}
