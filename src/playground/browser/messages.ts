/**
 * What the page and its training worker say to each other. The worker owns the network; the page
 * only draws the snapshots it receives, so training never blocks the page.
 */
import type { PlaygroundSnapshot } from '../session.js';
import type { PlaygroundSetup } from '../setup.js';

export type ToWorker =
  /** Build the network for this setup from scratch (the seed gives the same initial weights). */
  | { type: 'reset'; setup: PlaygroundSetup }
  | { type: 'play' }
  | { type: 'pause' }
  /** Train exactly one batch, then pause. */
  | { type: 'step' };

export type FromWorker =
  | { type: 'ready'; kernels: string }
  | { type: 'snapshot'; snapshot: PlaygroundSnapshot; playing: boolean; stepsPerSecond: number | null }
  /** The setup could not be built (one line per problem). */
  | { type: 'problem'; message: string };
