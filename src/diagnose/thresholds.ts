/**
 * The thresholds of the diagnosis, each set from what its measure means (see the comments),
 * never tuned to make a case come out as expected; the labelled verdict benchmark
 * (presets/verdicts.yaml) checks them on cases whose answer is known.
 *
 * Vanishing and exploding are judged on one scale: the distance the task needs the gradient to
 * travel (K steps back through time, or L − 1 layers down the stack) measured in time constants
 * ξ = −1/ln ρ of the gradient's fitted decay ρ per step (or per layer). K/ξ = n means the
 * gradient arriving from that far is e^−n of what arrives from near (e^+n when it grows).
 */

export interface DiagnosisThresholds {
  /**
   * From this many time constants over the needed distance the gradient is borderline. Default
   * 1.5: half the boundary of 3 below, where the gradient arriving from the far end is 22 % of the
   * near end's.
   */
  borderlineTimeConstants: number;
  /**
   * From this many time constants it vanishes (shrinking) or explodes (growing). Default 6:
   * twice the boundary of trainability that Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017)
   * measured for random deep networks — a depth of about 6 depth scales of the SQUARED gradient,
   * which is 3 time constants of the gradient norm. Six means the far end receives e^−6 ≈ 1/400
   * of the near end's gradient. A sudden or steady growth of the total gradient norm by e^6 over
   * its value at initialisation (or over its running median) is exploding for the same reason.
   */
  vanishingTimeConstants: number;
  /**
   * A loss this many times the chance level means the outputs blew up: the model's predictions
   * are an order of magnitude further off than always predicting the best constant. Default 10.
   */
  explodedLossFactor: number;
  /**
   * An epoch in which a weight matrix moved by more than this fraction of its own norm per step
   * (on average) is exploding: each step throws away what was learnt. Default 1.
   */
  explodingUpdateRatio: number;
  /**
   * The original program's threshold on the smallest per-parameter gradient norm. Reported (the
   * original's reading), not judged: it depends on the loss's scale and the batch, not on how far
   * the gradient travels. Default 1e-6.
   */
  absoluteVanishing: number;
  /**
   * Learned: a validation loss at most this fraction of the chance level (for MSE against the
   * target's variance that is R² ≥ 0.5; for cross-entropy, half the label entropy explained).
   * Default 0.5.
   */
  learnedLossFraction: number;
  /** Within this relative margin of the chance loss a model is at chance. Default 0.05. */
  chanceMargin: number;
  /** How many final epochs the verdict at the end averages over. Default 1. */
  judgedEpochs: number;
}

export const defaultDiagnosisThresholds: DiagnosisThresholds = {
  borderlineTimeConstants: 1.5,
  vanishingTimeConstants: 6,
  explodedLossFactor: 10,
  explodingUpdateRatio: 1,
  absoluteVanishing: 1e-6,
  learnedLossFraction: 0.5,
  chanceMargin: 0.05,
  judgedEpochs: 1,
};
