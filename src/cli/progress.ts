/**
 * What the user sees while a suite trains.
 *
 * On a terminal: one bar for the whole suite (batches done of all, ETA) and one per experiment
 * while it trains (epoch, loss, throughput, ETA); when an experiment ends its bar is removed and
 * its verdict line printed above the bars, so finished bars never pile up and every verdict
 * stays on the screen. Epoch lines and notices are printed above the bars too.
 *
 * Anywhere else (CI, a pipe, a file): plain lines — the original's per-epoch line
 * `Epoch 3: Loss=…, GradNorm=…, MinLayerGrad=…` prefixed with the experiment's name, a verdict
 * line per experiment, and a heartbeat while an epoch is long: a line per running experiment
 * every 1,000 batches or 60 s, whichever comes first (at most one per 10 s), with batches done of
 * its total, throughput and ETA, and a line for the whole suite with its ETA.
 */
import cliProgress from 'cli-progress';
import type { ExperimentEvent } from '../experiments/run-experiment.js';
import type { SuitePlan } from '../experiments/run-suite.js';
import { formatBytes } from '../experiments/record-size.js';
import { decodeNumber } from '../record/metrics.js';
import type { RecordedNumber } from '../record/metrics.js';
import type { ExperimentProgress, SuiteProgress } from './progress-tracker.js';
import { formatDuration, formatRate, ProgressTracker } from './progress-tracker.js';
import { plural } from './plural.js';

export interface ProgressDisplay {
  /** What the run is about to train (before the first experiment starts). */
  onPlan(plan: SuitePlan): void;
  onEvent(event: ExperimentEvent): void;
  /** Prints a line without breaking the bars. */
  log(line: string): void;
  stop(): void;
}

function scientific(value: RecordedNumber): string {
  const number = decodeNumber(value);
  return Number.isFinite(number) ? number.toExponential(4) : String(number);
}

function fixed(value: RecordedNumber): string {
  const number = decodeNumber(value);
  return Number.isFinite(number) ? number.toFixed(4) : String(number);
}

/** The original's per-epoch line, with validation accuracy when there is one. */
export function epochLine(event: Extract<ExperimentEvent, { type: 'epoch' }>): string {
  const validation = event.validationAccuracy !== null ? `, ValAcc=${(100 * event.validationAccuracy).toFixed(1)}%`
    : event.validationLoss !== null ? `, ValLoss=${fixed(event.validationLoss)}` : '';
  return `[${event.experiment}] Epoch ${event.epoch}: Loss=${fixed(event.meanLoss)}, GradNorm=${scientific(event.meanTotalGradientNorm)}, MinLayerGrad=${scientific(event.meanMinLayerGradientNorm)}${validation}`;
}

/** The experiment's verdict when it ends. */
export function doneLine(event: Extract<ExperimentEvent, { type: 'done' }>): string {
  const s = event.summary;
  return `[${event.experiment}] ${s.status === 'diverged' ? 'DIVERGED' : 'done'} in ${formatDuration(s.seconds)}: ${s.verdict.kind.toUpperCase()} — ${s.verdict.headline}`;
}

function startLine(event: Extract<ExperimentEvent, { type: 'start' }>): string {
  const shape = `${plural(event.epochs, 'epoch')} × ${plural(event.batchesPerEpoch, 'batch', 'batches')}`;
  return event.firstEpoch > 1
    ? `[${event.experiment}] resumed from its checkpoint at epoch ${event.firstEpoch} of ${shape} (kernels: ${event.kernels})`
    : `[${event.experiment}] started: ${shape} (kernels: ${event.kernels})`;
}

function percent(done: number, total: number): string {
  return total > 0 ? `${((100 * done) / total).toFixed(1)} %` : '—';
}

function throughput(progress: ExperimentProgress): string {
  if (progress.batchesPerSecond === null || progress.samplesPerSecond === null) return 'no batch finished yet';
  return `${formatRate(progress.batchesPerSecond)} batches/s (${formatRate(progress.samplesPerSecond)} samples/s)`;
}

/** A running experiment's heartbeat: where it is, how fast it goes, when it ends. */
export function heartbeatLine(progress: ExperimentProgress): string {
  return `[${progress.name}] epoch ${progress.epoch}/${progress.epochs}, batch ${progress.batch}/${progress.batchesPerEpoch}: `
    + `${progress.done.toLocaleString('en-US')} of ${plural(progress.total, 'batch', 'batches')} (${percent(progress.done, progress.total)}), `
    + `${throughput(progress)}, ETA ${formatDuration(progress.etaSeconds)}`;
}

/** The whole suite's progress in one line. */
export function suiteLine(progress: SuiteProgress): string {
  return `[all] ${progress.finished} of ${plural(progress.experiments, 'experiment')} done, ${progress.running} training: `
    + `${progress.done.toLocaleString('en-US')} of ${plural(progress.total, 'batch', 'batches')} (${percent(progress.done, progress.total)}), ETA ${formatDuration(progress.etaSeconds)}`;
}

/** 2nd, 3rd, 11th, 21st. */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** Above this the records' size is worth a warning before the run starts. */
export const recordSizeWarningBytes = 2e9;

/** The plan in lines: what will be trained, the records' estimated size, and warnings when it is large or the disk small. */
export function planLines(plan: SuitePlan): string[] {
  const experiments = plan.experiments;
  if (experiments.length === 0) return [plan.kept > 0 ? `Nothing to train: ${plural(plan.kept, 'experiment')} finished in the earlier attempt.` : 'Nothing to train.'];
  const batches = experiments.reduce((sum, experiment) => sum + experiment.epochs * experiment.batchesPerEpoch, 0);
  const kept = plan.kept > 0 ? ` (${plan.kept} kept from the earlier attempt)` : '';
  const free = plan.freeBytes === null ? '' : `; ${formatBytes(plan.freeBytes)} free on the disk`;
  const lines = [`To train: ${plural(experiments.length, 'experiment')}${kept}, ${plural(batches, 'batch', 'batches')}; records about ${formatBytes(plan.recordBytes)} (estimated, checkpoints included)${free}`];
  const sparse = experiments.filter((experiment) => experiment.estimate.hiddenGradientEvery > 1);
  const byEvery = new Map<number, string[]>();
  for (const experiment of sparse) byEvery.set(experiment.estimate.hiddenGradientEvery, [...(byEvery.get(experiment.estimate.hiddenGradientEvery) ?? []), experiment.name]);
  for (const [every, names] of byEvery) lines.push(`  the gradient through time is recorded on every ${ordinal(every)} batch (record.hidden_gradient_every) in ${names.join(', ')}`);
  const largest = [...experiments].sort((a, b) => b.estimate.totalBytes - a.estimate.totalBytes)[0];
  if (plan.recordBytes > recordSizeWarningBytes) {
    lines.push(`warning: the records will take about ${formatBytes(plan.recordBytes)} (the largest: ${largest.name}, ${formatBytes(largest.estimate.totalBytes)}); record less with a larger record.hidden_gradient_every or record.histogram_every`);
  }
  if (plan.freeBytes !== null && plan.recordBytes > plan.freeBytes) {
    lines.push(`warning: the records (about ${formatBytes(plan.recordBytes)}) may not fit in the ${formatBytes(plan.freeBytes)} free on the disk; a full disk stops the run (it can be resumed)`);
  }
  return lines;
}

export interface HeartbeatOptions {
  /** A heartbeat after this many batches of an experiment since its last line… */
  everyBatches: number;
  /** …or this many seconds, whichever comes first… */
  everySeconds: number;
  /** …but never two lines of one experiment closer than this. */
  atMostEverySeconds: number;
}

export const defaultHeartbeat: HeartbeatOptions = { everyBatches: 1000, everySeconds: 60, atMostEverySeconds: 10 };

export interface PlainProgressOptions {
  heartbeat?: HeartbeatOptions;
  /** Milliseconds (tests give their own clock). */
  now?: () => number;
  /**
   * Check for due heartbeats on a timer as well as on every batch (default true): an experiment
   * whose batches take longer than a minute still beats.
   */
  timer?: boolean;
}

export function plainProgress(write: (line: string) => void, options: PlainProgressOptions = {}): ProgressDisplay {
  const now = options.now ?? (() => performance.now());
  const heartbeat = options.heartbeat ?? defaultHeartbeat;
  const tracker = new ProgressTracker(now);
  // Per running experiment: when its last line was printed and batches since.
  const lastLine = new Map<string, { at: number; batches: number }>();
  let lastSuiteLine = now();
  const said = (name: string): void => {
    lastLine.set(name, { at: now(), batches: 0 });
  };
  const suiteWorthALine = (): boolean => (tracker.suitePlan?.experiments.length ?? 0) > 1;

  const beatIfDue = (name: string): void => {
    const last = lastLine.get(name);
    if (last === undefined) return;
    const seconds = (now() - last.at) / 1000;
    if (seconds < heartbeat.everySeconds && (last.batches < heartbeat.everyBatches || seconds < heartbeat.atMostEverySeconds)) return;
    const progress = tracker.experiment(name);
    if (progress === null) return;
    write(heartbeatLine(progress));
    said(name);
    if (suiteWorthALine() && (now() - lastSuiteLine) / 1000 >= heartbeat.everySeconds) {
      write(suiteLine(tracker.suite()));
      lastSuiteLine = now();
    }
  };

  const timer = options.timer === false ? null : setInterval(() => {
    for (const name of lastLine.keys()) beatIfDue(name);
  }, 5000);
  // The heartbeat timer alone never keeps the process alive.
  timer?.unref();

  return {
    onPlan(plan) {
      tracker.plan(plan);
      for (const line of planLines(plan)) write(line);
    },
    onEvent(event) {
      tracker.onEvent(event);
      if (event.type === 'start') {
        write(startLine(event));
        said(event.experiment);
      } else if (event.type === 'batch') {
        const last = lastLine.get(event.experiment);
        if (last !== undefined) last.batches++;
        beatIfDue(event.experiment);
      } else if (event.type === 'epoch') {
        write(epochLine(event));
        said(event.experiment);
      } else if (event.type === 'notice') {
        write(`[${event.experiment}] ${event.message}`);
      } else if (event.type === 'done') {
        write(doneLine(event));
        lastLine.delete(event.experiment);
        if (suiteWorthALine()) {
          write(suiteLine(tracker.suite()));
          lastSuiteLine = now();
        }
      }
    },
    log: write,
    stop() {
      if (timer !== null) clearInterval(timer);
    },
  };
}

export interface TerminalProgressOptions {
  now?: () => number;
  /** Redraw at most this often from the events themselves (default 100 ms): the bars' own timer cannot run while this thread trains. */
  redrawMs?: number;
  /** Hide the cursor while the bars run (default true); only when an interrupt is handled, which shows it again. */
  hideCursor?: boolean;
}

export function terminalProgress(stream: NodeJS.WriteStream, options: TerminalProgressOptions = {}): ProgressDisplay {
  const now = options.now ?? (() => performance.now());
  const redrawMs = options.redrawMs ?? 100;
  const tracker = new ProgressTracker(now);
  const multibar = new cliProgress.MultiBar({
    stream,
    format: ' {name} |{bar}| {percentage}% | {detail}',
    barsize: 24,
    hideCursor: options.hideCursor ?? true,
    clearOnComplete: false,
    autopadding: true,
    fps: 10,
    // cli-progress redraws only the bars whose text changed; lines printed above them move every bar
    // down a line, so an unchanged bar would be left behind as a stale line (what tmux showed).
    forceRedraw: true,
  }, cliProgress.Presets.shades_classic);
  const width = 30;
  const label = (name: string): string => (name.length > width ? `${name.slice(0, width - 1)}…` : name.padEnd(width));
  const bars = new Map<string, cliProgress.SingleBar>();
  let overall: cliProgress.SingleBar | null = null;
  // Lines go above the bars, written over the lines the bars took; cli-progress clears only the
  // first of them, so each line clears the rest of its own (ESC [ K), or a longer bar's tail shows.
  // Before the first bar (and after the last) there is nothing to draw around: the line is written as it is.
  const print = (line: string): void => {
    if (multibar.isActive) multibar.log(`${line}\x1b[K\n`);
    else stream.write(`${line}\n`);
  };
  // cli-progress's update() schedules the next one; called while no bar is active, its timer is
  // orphaned by the first create() and redraws forever. So only an active multibar is updated.
  const refresh = (): void => {
    if (multibar.isActive) multibar.update();
  };
  let lastRedraw = -Infinity;

  const overallDetail = (progress: SuiteProgress): string => `${progress.finished} of ${progress.experiments} done, ${progress.running} training | ETA ${formatDuration(progress.etaSeconds)}`;
  const updateOverall = (): void => {
    if (overall === null) return;
    const progress = tracker.suite();
    overall.setTotal(Math.max(1, progress.total));
    overall.update(progress.done, { detail: overallDetail(progress) });
  };
  const redraw = (): void => {
    if (now() - lastRedraw < redrawMs) return;
    lastRedraw = now();
    refresh();
  };
  const experimentDetail = (progress: ExperimentProgress, loss: string): string => {
    const rate = progress.batchesPerSecond === null ? '' : ` | ${formatRate(progress.batchesPerSecond)} batches/s`;
    return `epoch ${progress.epoch}/${progress.epochs} | loss ${loss}${rate} | ETA ${formatDuration(progress.etaSeconds)}`;
  };

  return {
    onPlan(plan) {
      tracker.plan(plan);
      for (const line of planLines(plan)) print(line);
      if (plan.experiments.length > 1) {
        const progress = tracker.suite();
        overall = multibar.create(Math.max(1, progress.total), 0, { name: label(`all ${plan.experiments.length} experiments`), detail: overallDetail(progress) });
      }
      refresh();
    },
    onEvent(event) {
      const progress = tracker.onEvent(event);
      if (event.type === 'start' && progress !== null) {
        print(startLine(event));
        // An experiment that starts again (a queue's job taken over by another worker) replaces its bar.
        const earlier = bars.get(event.experiment);
        if (earlier !== undefined) multibar.remove(earlier);
        bars.set(event.experiment, multibar.create(progress.total, progress.done, { name: label(event.experiment), detail: experimentDetail(progress, '—') }));
        updateOverall();
        refresh();
        return;
      }
      const bar = bars.get(event.experiment);
      if (event.type === 'notice') {
        print(`[${event.experiment}] ${event.message}`);
      } else if (event.type === 'batch' && bar !== undefined && progress !== null) {
        bar.update(progress.done, { detail: experimentDetail(progress, fixed(event.loss)) });
        updateOverall();
        redraw();
      } else if (event.type === 'epoch') {
        print(epochLine(event));
        redraw();
      } else if (event.type === 'done') {
        // The verdict goes above the bars; the finished bar goes away.
        print(doneLine(event));
        if (bar !== undefined) multibar.remove(bar);
        bars.delete(event.experiment);
        updateOverall();
        refresh();
      }
    },
    log(line) {
      print(line);
      refresh();
    },
    stop() {
      // Bars of experiments that failed (no 'done') go too: main prints why they failed.
      for (const bar of bars.values()) multibar.remove(bar);
      bars.clear();
      updateOverall();
      multibar.stop();
    },
  };
}
