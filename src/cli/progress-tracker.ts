/**
 * How far a suite has come and how long it has to go: per experiment, batches done of its total,
 * its throughput this session and its ETA; for the suite, the batches of every experiment to
 * train (from the plan) and an ETA from the whole session's throughput. The clock is given, so
 * the numbers can be tested exactly.
 *
 * A resumed experiment counts the epochs its checkpoint kept as done, but its throughput (and so
 * its ETA) comes from the batches trained in this session only.
 */
import type { ExperimentEvent } from '../experiments/run-experiment.js';
import type { SuitePlan } from '../experiments/run-suite.js';

export interface ExperimentProgress {
  name: string;
  epoch: number;
  epochs: number;
  /** Batch within the epoch (0 before the first). */
  batch: number;
  batchesPerEpoch: number;
  done: number;
  total: number;
  /** Batches and samples per second this session; null before the first batch. */
  batchesPerSecond: number | null;
  samplesPerSecond: number | null;
  /** Seconds to the experiment's end at this throughput; null before the first batch. */
  etaSeconds: number | null;
}

export interface SuiteProgress {
  experiments: number;
  finished: number;
  running: number;
  done: number;
  total: number;
  etaSeconds: number | null;
}

interface Running {
  epochs: number;
  batchesPerEpoch: number;
  epoch: number;
  batch: number;
  /** Batches done when this session started it (a resumed experiment's kept epochs). */
  doneAtStart: number;
  done: number;
  samples: number;
  startedAt: number;
  finished: boolean;
}

export class ProgressTracker {
  private readonly experiments = new Map<string, Running>();
  private planned: SuitePlan | null = null;
  private sessionStart: number | null = null;

  constructor(private readonly now: () => number) {}

  plan(plan: SuitePlan): void {
    this.planned = plan;
  }

  get suitePlan(): SuitePlan | null {
    return this.planned;
  }

  /** Follows an experiment's events; returns its progress after the event (null for unknown experiments). */
  onEvent(event: ExperimentEvent): ExperimentProgress | null {
    if (event.type === 'start') {
      const doneAtStart = (event.firstEpoch - 1) * event.batchesPerEpoch;
      this.sessionStart ??= this.now();
      this.experiments.set(event.experiment, {
        epochs: event.epochs, batchesPerEpoch: event.batchesPerEpoch, epoch: event.firstEpoch, batch: 0,
        doneAtStart, done: doneAtStart, samples: 0, startedAt: this.now(), finished: false,
      });
    }
    const running = this.experiments.get(event.experiment);
    if (running === undefined) return null;
    if (event.type === 'batch') {
      running.epoch = event.epoch;
      running.batch = event.batch;
      running.done = (event.epoch - 1) * running.batchesPerEpoch + event.batch;
      running.samples += event.batchSize;
    } else if (event.type === 'done') {
      running.finished = true;
    }
    return this.experiment(event.experiment);
  }

  experiment(name: string): ExperimentProgress | null {
    const running = this.experiments.get(name);
    if (running === undefined) return null;
    const total = running.epochs * running.batchesPerEpoch;
    const seconds = (this.now() - running.startedAt) / 1000;
    const trained = running.done - running.doneAtStart;
    const batchesPerSecond = trained > 0 && seconds > 0 ? trained / seconds : null;
    return {
      name, epoch: running.epoch, epochs: running.epochs, batch: running.batch, batchesPerEpoch: running.batchesPerEpoch,
      done: running.done, total, batchesPerSecond, samplesPerSecond: batchesPerSecond === null ? null : running.samples / seconds,
      etaSeconds: running.finished ? 0 : batchesPerSecond === null ? null : (total - running.done) / batchesPerSecond,
    };
  }

  /**
   * The whole suite: the plan's experiments (or, without a plan, those started so far), their
   * batches done, and an ETA from this session's throughput over all of them.
   */
  suite(): SuiteProgress {
    const names = this.planned !== null ? this.planned.experiments.map((experiment) => experiment.name) : [...this.experiments.keys()];
    let done = 0;
    let total = 0;
    let trained = 0;
    let finished = 0;
    let running = 0;
    for (const name of names) {
      const experiment = this.experiments.get(name);
      const plan = this.planned?.experiments.find((planned) => planned.name === name);
      total += experiment !== undefined ? experiment.epochs * experiment.batchesPerEpoch : (plan?.epochs ?? 0) * (plan?.batchesPerEpoch ?? 0);
      if (experiment === undefined) continue;
      // A finished experiment is all done, even one that stopped early (diverged): nothing of it is left to train.
      done += experiment.finished ? experiment.epochs * experiment.batchesPerEpoch : experiment.done;
      trained += experiment.done - experiment.doneAtStart;
      if (experiment.finished) finished++;
      else running++;
    }
    const seconds = this.sessionStart === null ? 0 : (this.now() - this.sessionStart) / 1000;
    const rate = trained > 0 && seconds > 0 ? trained / seconds : null;
    return {
      experiments: names.length, finished, running, done, total,
      etaSeconds: finished === names.length ? 0 : rate === null ? null : (total - done) / rate,
    };
  }
}

/** A duration for people: "42 s", "3 min 10 s", "1 h 56 min", "2 d 5 h"; "—" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${whole % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A rate for people, at most three significant digits: "0.04", "0.853", "12.4", "1,250". */
export function formatRate(rate: number): string {
  return rate >= 100 ? Math.round(rate).toLocaleString('en-US') : String(Number(rate.toPrecision(3)));
}
