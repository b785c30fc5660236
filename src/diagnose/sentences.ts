/**
 * The verdict in words: evidence sentences and the short phrases headlines are made of, from the
 * measures and the rules' judgements. Every number said here comes from the measures.
 */
import type { RequiredLag } from '../data/dataset.js';
import type { LearningKind } from '../record/metrics.js';
import type { DepthMeasure, ForwardMeasure, LearningMeasure, RateOverDistance, RunMeasures, RunTrace, TimeMeasure } from './measures.js';
import type { Judged, RunJudgement } from './rules.js';
import type { DiagnosisThresholds } from './thresholds.js';

/** Compact number for sentences: 0.67 or 4.8e-4. */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 0.01 && magnitude < 1000) return Number(value.toPrecision(2)).toString();
  return value.toExponential(1).replace('e+', 'e');
}

/** A factor per unit: 0.57×, 1.43×; three digits near 1 so 0.97× and 0.999× stay apart. */
export function formatFactor(value: number): string {
  const digits = Math.abs(value - 1) < 0.05 ? 3 : 2;
  return `${Number(value.toPrecision(digits))}×`;
}

/** "a", "a and b", "a, b and c". */
export function listInWords(parts: readonly string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function percent(fraction: number): string {
  return `${Number((100 * fraction).toPrecision(fraction < 0.1 ? 1 : 2))} %`;
}

/** An accuracy to one decimal: 12.6 %. */
function accuracyPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)} %`;
}

/** Where a batch index of the run trace was: "epoch 1, batch 37". */
export function batchName(trace: RunTrace, index: number): string {
  return `epoch ${trace.epoch[index]}, batch ${trace.batch[index]}`;
}

/** "time constant ξ = 2.9 steps" for a shrinking rate; nothing for a growing one. */
function timeConstant(rate: RateOverDistance, unit: string): string {
  if (rate.fit.slope >= 0) return '';
  const xi = -1 / rate.fit.slope;
  return `, time constant ξ = ${formatNumber(xi)} ${xi === 1 ? unit : `${unit}s`}`;
}

/** e^−span: the factor the fitted rate changes the gradient by over the distance ("5.7e-3", "3.5e15"). */
function overallFactor(rate: RateOverDistance): string {
  return formatNumber(Math.exp(-rate.span));
}

/** The short phrase for a headline: "0.71× per step, a factor 1.7e-4 over the 25 steps the task needs". */
export function timeHeadlinePhrase(time: TimeMeasure, judged: Judged, numLayers: number): string {
  if (time.inputSilent) return 'no gradient reaches the input at all';
  const growsInTop = judged.direction === 'grows' && time.recurrence !== null;
  const rate = growsInTop ? time.recurrence! : time.arrival;
  if (rate === null) return '';
  const where = growsInTop && numLayers > 1 ? ' in the top layer' : '';
  return `${formatFactor(rate.fit.perUnit)} per step${where}, a factor ${overallFactor(rate)} over the ${plural(rate.distance, 'step')} the task needs`;
}

export function depthHeadlinePhrase(depth: DepthMeasure, judged: Judged): string {
  if (depth.silentBelow > 0) {
    return depth.silentBelow === 1 ? 'no gradient reaches layer 0' : `no gradient reaches layers 0–${depth.silentBelow - 1}`;
  }
  // The rate that decided: whichever of the two goes further in the judged direction.
  const further = (a: RateOverDistance, b: RateOverDistance | null): boolean => b === null || (judged.direction === 'shrinks' ? a.span > b.span : a.span < b.span);
  const arrivingDecides = depth.arriving !== null && further(depth.arriving, depth.judged);
  const rate = arrivingDecides ? depth.arriving : depth.judged;
  if (rate === null) return '';
  return `${formatFactor(rate.fit.perUnit)} per layer over ${plural(rate.distance, 'layer')}`;
}

export function timeSentence(when: string, time: TimeMeasure, judged: Judged | null, lag: RequiredLag, numLayers: number, t: DiagnosisThresholds): string[] {
  const sentences: string[] = [];
  const need = `The task needs ${plural(lag.steps, 'step')} — ${lag.reason} —`;
  if (time.inputSilent) {
    const recurrence = time.recurrence === null || numLayers < 2 ? ''
      : ` That is the stack's doing (below): the top layer's own recurrence carries the gradient back ${formatFactor(time.recurrence.fit.perUnit)} per step.`;
    sentences.push(`${when}, no gradient reaches the input at any step: ‖∂L/∂x_t‖ is exactly 0 everywhere.${recurrence}`);
    return sentences;
  }
  const arrival = time.arrival;
  if (arrival !== null) {
    if (arrival.fit.slope < 0 && arrival.span < t.borderlineTimeConstants && time.arrivalUnderflowLag === null) {
      sentences.push(`${when}, the gradient arriving at the input holds over the ${plural(arrival.distance, 'step')} the task needs — ${lag.reason}: ${formatFactor(arrival.fit.perUnit)} per step, a factor ${overallFactor(arrival)} over them (${formatNumber(arrival.span)} time constants).`);
    } else if (arrival.fit.slope < 0) {
      const verdictWords = arrival.span >= t.vanishingTimeConstants ? 'it vanishes' : arrival.span >= t.borderlineTimeConstants ? 'borderline' : 'it survives';
      const arrives = time.arrivalUnderflowLag === null
        ? `at that rate the gradient changes by a factor ${overallFactor(arrival)} over them (${verdictWords})`
        : `it underflows to exactly 0 from ${plural(time.arrivalUnderflowLag, 'step')} back (it vanishes)`;
      sentences.push(
        `${when}, the gradient arriving at the input falls ${formatFactor(arrival.fit.perUnit)} per step back through time${timeConstant(arrival, 'step')}. ` +
        `${need} which is ${formatNumber(arrival.span)} time constants: ${arrives}.`,
      );
    } else {
      const stack = numLayers > 1 ? `: in a stack of ${numLayers} layers the many paths down and back through time add up` : '';
      const endToEnd = time.arrivalEndToEnd !== null && Number.isFinite(time.arrivalEndToEnd) ? ` (${plural(arrival.distance, 'step')} back it is ${formatNumber(time.arrivalEndToEnd)}× the last step's)` : '';
      sentences.push(`${when}, the gradient arriving at the input does not fade back through time: ${formatFactor(arrival.fit.perUnit)} per step over the ${plural(arrival.distance, 'step')} the task needs${endToEnd}${stack}.`);
    }
  }
  const recurrence = time.recurrence;
  if (recurrence !== null) {
    const grows = recurrence.fit.slope > 0;
    if (grows && recurrence.span <= -t.borderlineTimeConstants) {
      sentences.push(`${when}, ${numLayers > 1 ? 'the top layer\'s recurrence, where the loss enters,' : 'the recurrence'} makes the gradient GROW back through time: ${formatFactor(recurrence.fit.perUnit)} per step, a factor ${overallFactor(recurrence)} over ${plural(recurrence.distance, 'step')}.`);
    } else if (numLayers > 1 && !grows) {
      sentences.push(`${when}, the top layer's own recurrence carries the gradient back ${formatFactor(recurrence.fit.perUnit)} per step${timeConstant(recurrence, 'step')}; the layers below feed the input through other paths as well.`);
    }
  }
  if (judged?.status === 'exploding' && recurrence === null) sentences.push(`${when}, the gradient grows back through time.`);
  return sentences;
}

export function depthSentence(when: string, depth: DepthMeasure, judged: Judged, kind: 'gradient' | 'update', names: { bottom: string; top: string }, t: DiagnosisThresholds): string {
  const what = kind === 'update' ? 'the size of each layer\'s update relative to its weights' : 'the recurrent weights\' gradient';
  if (depth.silentBelow > 0) {
    const layers = depth.silentBelow === 1 ? 'layer 0' : `layers 0–${depth.silentBelow - 1}`;
    const why = kind === 'update' && depth.silentGradient > 0
      ? `their gradient (at most ${formatNumber(depth.silentGradient)}) times the step size is below the resolution of float32 weights, so they do not change at all`
      : 'underflowed or dead units';
    if (depth.top === 0) return `${when}, no layer receives anything: ${what} is exactly 0 in every layer (${why}).`;
    return `${when}, nothing at all reaches ${layers} down the stack: ${what} is exactly 0 there (${why}), while the top layer's (${names.top}) is ${formatNumber(depth.top)}.`;
  }
  const rate = depth.judged;
  if (rate === null) return `${when}, ${what} could not be measured down the stack (not finite).`;
  const bottomOverTop = formatNumber(depth.bottomOverTop);
  const adam = kind === 'update' && depth.gradient !== null && depth.gradient.span >= t.borderlineTimeConstants && rate.span < t.borderlineTimeConstants
    ? ` The gradient itself falls ${formatFactor(depth.gradient.fit.perUnit)} per layer, but the optimiser's per-parameter step sizes make up for it: every layer learns at a similar pace.`
    : kind === 'update' && depth.gradient !== null ? ` (The gradient itself: ${formatFactor(depth.gradient.fit.perUnit)} per layer.)` : '';
  // At initialisation: the gradient arriving at the hidden states, when it tells another story.
  const arrivingRate = depth.arriving;
  const arriving = arrivingRate !== null && Math.abs(arrivingRate.span - rate.span) >= t.borderlineTimeConstants
    ? ` The gradient arriving at each layer's hidden states ${arrivingRate.fit.slope < 0 ? 'falls' : 'GROWS'} ${formatFactor(arrivingRate.fit.perUnit)} per layer ${arrivingRate.fit.slope < 0 ? 'down the stack' : 'toward the input'} (${formatNumber(Math.exp(-arrivingRate.span))}× over ${plural(arrivingRate.distance, 'layer')}); the weights' gradient is that times the forward activations, which ${arrivingRate.span > rate.span ? 'grow' : 'shrink'} the other way.`
    : '';
  if (Math.abs(rate.span) < t.borderlineTimeConstants) {
    return `${when}, down the stack ${what} holds: ${formatFactor(rate.fit.perUnit)} per layer, the bottom layer's (${names.bottom}) is ${bottomOverTop}× the top layer's (${names.top}).${adam}${arriving}`;
  }
  if (rate.fit.slope <= 0) {
    return `${when}, down the stack ${what} falls ${formatFactor(rate.fit.perUnit)} per layer${timeConstant(rate, 'layer')}: over ${plural(rate.distance, 'layer')}, ${formatNumber(rate.span)} time constants, the bottom layer's (${names.bottom}) is ${bottomOverTop} of the top layer's (${names.top}).${adam}${arriving}`;
  }
  const grows = judged.status === 'exploding' || judged.direction === 'grows' ? 'GROWS' : 'grows';
  return `${when}, ${what} ${grows} toward the input: ${formatFactor(rate.fit.perUnit)} per layer, the bottom layer's (${names.bottom}) is ${bottomOverTop}× the top layer's (${names.top}).${adam}${arriving}`;
}

export function forwardSentence(when: string, forward: ForwardMeasure, dies: boolean, blowsUp: boolean, relu: boolean, cause: string | null): string | null {
  const rate = forward.rate;
  const perLayer = rate !== null ? `${formatFactor(rate.fit.perUnit)} per layer` : '';
  if (dies) {
    const zero = forward.zeroFrom !== null ? `, exactly 0 from layer ${forward.zeroFrom} up` : '';
    const gate = relu ? ', and no gradient passes a ReLU whose input is 0' : '';
    return `${when}, the forward signal dies on the way up: the activations' RMS ${perLayer !== '' ? `falls ${perLayer}, ` : ''}from ${formatNumber(forward.bottom)} in layer 0${zero}. `
      + `A weight's gradient is the activations times the gradient${gate}, so the gradient dies with it.${cause !== null ? ` ${cause}` : ''}`;
  }
  if (blowsUp) {
    return `${when}, the forward signal blows up on the way up: the activations' RMS grows ${perLayer}, from ${formatNumber(forward.bottom)} in layer 0 to ${formatNumber(forward.top)} in the top layer.${cause !== null ? ` ${cause}` : ''}`;
  }
  return null;
}

export function runSentences(run: RunMeasures | null, judgement: RunJudgement, trace: RunTrace, learning: LearningMeasure | null, t: DiagnosisThresholds): string[] {
  const sentences: string[] = [];
  if (run === null) return sentences;
  if (judgement.grewAt !== null) {
    const bound = `e^${formatNumber(t.vanishingTimeConstants)} ≈ ${formatNumber(Math.round(Math.exp(t.vanishingTimeConstants)))}×`;
    sentences.push(`During training the total gradient norm rose to ${formatNumber(run.largestNorm)} (${batchName(trace, run.largestAt)}), ${formatNumber(run.growth)}× its value at initialisation (${formatNumber(run.initialNorm)}); it first passed ${bound} at ${batchName(trace, judgement.grewAt)}.`);
  }
  if (judgement.spikedAt !== null && judgement.spikedAt !== judgement.grewAt) {
    sentences.push(`At ${batchName(trace, judgement.spikedAt)} the total gradient norm jumped to ${formatNumber(run.spike)}× its median over the batches before.`);
  }
  for (const update of judgement.largeUpdates.slice(0, 2)) {
    sentences.push(`Updates larger than the weights: in epoch ${update.epoch} ${update.name} moved by ${formatNumber(update.ratio)}× its own norm per step on average.`);
  }
  if (judgement.lossEndsBlownUp && learning !== null) {
    sentences.push(`The ${learning.split} loss ends at ${formatNumber(learning.loss)}, ${formatNumber(learning.lossOverChance)}× the chance level ${formatNumber(learning.chance)}: the outputs blew up.`);
  }
  if (!judgement.exploded && run.batches >= 2) {
    sentences.push(`Over the run the total gradient norm stayed within ${formatNumber(Math.max(run.growth, 1))}× of its value at initialisation (${formatNumber(run.initialNorm)}); the largest jump over its running median was ${formatNumber(run.spike)}×.`);
  }
  return sentences;
}

export function rescaleSentence(run: RunMeasures | null, minimumNorm: boolean): string | null {
  if (run === null || run.rescaledFraction === 0) return null;
  const share = `${percent(run.rescaledFraction)} of batches`;
  if (minimumNorm && run.medianRescale > 1) {
    return `The minimum-norm rescale multiplied every gradient by a median ${formatNumber(run.medianRescale)}× on ${share}: it scales all parameters alike — a larger learning rate — so the ratios between layers and steps are the ones it would have without it.`;
  }
  return `Clipping scaled the gradients by a median ${formatNumber(run.medianRescale)}× on ${share}, keeping every update bounded whatever the gradient did.`;
}

export function learningSentence(kind: LearningKind, learning: LearningMeasure | null, epochs: number, diverged: boolean): string {
  if (diverged) return 'Did it learn? Unknown: training diverged before the end.';
  if (learning === null) return 'Did it learn? Unknown: there is no chance level to compare the loss with.';
  const accuracy = learning.accuracy !== null
    ? `; accuracy ${accuracyPercent(learning.accuracy)}${learning.chanceAccuracy !== null ? ` (chance ${accuracyPercent(learning.chanceAccuracy)})` : ''}`
    : '';
  const loss = `${learning.split} loss ${formatNumber(learning.loss)} against the chance level ${formatNumber(learning.chance)}${accuracy}`;
  const share = `${learning.split} loss ${formatNumber(learning.loss)}, ${percent(learning.lossOverChance)} of the chance level ${formatNumber(learning.chance)}${accuracy}`;
  const trend = learning.lastEpochChange !== null && learning.lastEpochChange < -0.01
    ? ` The loss was still falling (${formatNumber(-100 * learning.lastEpochChange)} % in the last epoch): more epochs may help.`
    : '';
  switch (kind) {
    case 'learned':
      return `It learned: ${share}.`;
    case 'partly':
      return `It learned partly: ${share}.${trend}`;
    case 'at_chance':
      return `It did not learn in ${plural(epochs, 'epoch')}: ${loss}, at chance.${trend}`;
    case 'worse_than_chance':
      return `It ends worse than chance: ${learning.split} loss ${formatNumber(learning.loss)}, ${formatNumber(learning.lossOverChance)}× the chance level ${formatNumber(learning.chance)}${accuracy}.`;
    default:
      return 'Did it learn? Unknown.';
  }
}

/** The learning answer as a table cell. */
export const learningLabels: Record<LearningKind, string> = {
  learned: 'learned',
  partly: 'partly',
  at_chance: 'at chance',
  worse_than_chance: 'worse than chance',
  unknown: '—',
};

/** The short learning clause of a headline. */
export function learningClause(kind: LearningKind): string {
  switch (kind) {
    case 'learned': return 'it learned';
    case 'partly': return 'it learned partly';
    case 'at_chance': return 'it did not learn (loss at chance)';
    case 'worse_than_chance': return 'it ends worse than chance';
    default: return '';
  }
}
