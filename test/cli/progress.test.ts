/**
 * What a user sees while a suite trains. Off a terminal: the heartbeat (every 1,000 batches or
 * 60 s, whichever first, at most one per 10 s) with throughput and ETA, the suite's line, the
 * plan with the records' size and its warnings, plurals. On a terminal (rendered through a small
 * terminal emulator, as tmux would show it): finished bars leave no stale lines, every verdict
 * line stays on the screen, and one bar shows the whole suite.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExperimentEvent } from '../../src/experiments/run-experiment.js';
import type { ExperimentPlan, SuitePlan } from '../../src/experiments/run-suite.js';
import type { RecordEstimate } from '../../src/experiments/record-size.js';
import { formatDuration } from '../../src/cli/progress-tracker.js';
import { planLines, plainProgress, terminalProgress } from '../../src/cli/progress.js';
import type { ExperimentSummary, Verdict } from '../../src/record/metrics.js';

function estimate(totalBytes: number, hiddenGradientEvery = 1): RecordEstimate {
  return { batchesPerEpoch: 0, hiddenGradientEvery, batchBytes: totalBytes, epochBytes: 0, checkpointBytes: 0, totalBytes };
}

function plan(experiments: [string, number, number][], freeBytes: number | null = 50e9, bytes = 1e6): SuitePlan {
  const planned: ExperimentPlan[] = experiments.map(([name, epochs, batchesPerEpoch]) => ({ name, epochs, batchesPerEpoch, estimate: { ...estimate(bytes), batchesPerEpoch } }));
  return { folder: '/runs/x', experiments: planned, kept: 0, recordBytes: planned.reduce((sum, e) => sum + e.estimate.totalBytes, 0), freeBytes };
}

const verdict: Verdict = { kind: 'vanishing', headline: 'Gradients vanish.', atInitialisation: null, learning: { kind: 'unknown', sentence: '' }, evidence: [], measures: {} };

function done(experiment: string, seconds = 12): ExperimentEvent {
  return { type: 'done', experiment, summary: { status: 'finished', seconds, verdict } as unknown as ExperimentSummary };
}

function batch(experiment: string, epoch: number, index: number, batchesPerEpoch: number): ExperimentEvent {
  return { type: 'batch', experiment, epoch, batch: index, batchesPerEpoch, batchSize: 64, loss: 2.302585 };
}

function epoch(experiment: string, index: number, epochs: number): ExperimentEvent {
  return { type: 'epoch', experiment, epoch: index, epochs, meanLoss: 2.3, meanTotalGradientNorm: 0.5, meanMinLayerGradientNorm: 1e-5, validationAccuracy: 0.1, validationLoss: 2.3 };
}

test('plain: a heartbeat every 60 s of slow batches, with throughput and ETA, and the suite\'s line', () => {
  let clock = 0;
  const lines: string[] = [];
  const display = plainProgress((line) => lines.push(line), { now: () => clock, timer: false });
  display.onPlan(plan([['slow', 2, 100], ['other', 1, 10]]));
  display.onEvent({ type: 'start', experiment: 'slow', epochs: 2, firstEpoch: 1, batchesPerEpoch: 100, kernels: 'ts' });
  lines.length = 0;
  // A batch every 25 s: beats at 75 s and 150 s (the first batch event 60 s or more after the last line).
  for (let b = 1; b <= 6; b++) {
    clock = b * 25_000;
    display.onEvent(batch('slow', 1, b, 100));
  }
  assert.deepEqual(lines, [
    '[slow] epoch 1/2, batch 3/100: 3 of 200 batches (1.5 %), 0.04 batches/s (2.56 samples/s), ETA 1 h 22 min',
    '[all] 0 of 2 experiments done, 1 training: 3 of 210 batches (1.4 %), ETA 1 h 26 min',
    '[slow] epoch 1/2, batch 6/100: 6 of 200 batches (3.0 %), 0.04 batches/s (2.56 samples/s), ETA 1 h 20 min',
    '[all] 0 of 2 experiments done, 1 training: 6 of 210 batches (2.9 %), ETA 1 h 25 min',
  ]);
  assert.equal(formatDuration(197 / 0.04), '1 h 22 min');
  display.stop();
});

test('plain: fast batches beat every 1,000 batches, never twice in 10 s; epoch lines count as a sign of life', () => {
  let clock = 0;
  const lines: string[] = [];
  const display = plainProgress((line) => lines.push(line), { now: () => clock, timer: false });
  display.onEvent({ type: 'start', experiment: 'fast', epochs: 1, firstEpoch: 1, batchesPerEpoch: 5000, kernels: 'ts' });
  lines.length = 0;
  for (let b = 1; b <= 5000; b++) {
    clock = b * 5; // 200 batches/s: 1,000 batches take 5 s, so the 10 s floor spaces them to 2,000
    display.onEvent(batch('fast', 1, b, 5000));
  }
  assert.deepEqual(lines.map((line) => line.replace(/, ETA .*/, '')), [
    '[fast] epoch 1/1, batch 2000/5000: 2,000 of 5,000 batches (40.0 %), 200 batches/s (12,800 samples/s)',
    '[fast] epoch 1/1, batch 4000/5000: 4,000 of 5,000 batches (80.0 %), 200 batches/s (12,800 samples/s)',
  ]);
  lines.length = 0;
  // Epoch lines reset the clock: a run printing an epoch line every 50 s never beats.
  clock = 0;
  display.onEvent({ type: 'start', experiment: 'chatty', epochs: 9, firstEpoch: 1, batchesPerEpoch: 10, kernels: 'ts' });
  for (let e = 1; e <= 9; e++) {
    for (let b = 1; b <= 10; b++) {
      clock += 5_000;
      display.onEvent(batch('chatty', e, b, 10));
    }
    display.onEvent(epoch('chatty', e, 9));
  }
  assert.equal(lines.filter((line) => line.includes('batches/s')).length, 0, lines.join('\n'));
  display.stop();
});

test('plain: a resumed experiment counts its kept epochs as done but its throughput from this session', () => {
  let clock = 0;
  const lines: string[] = [];
  const display = plainProgress((line) => lines.push(line), { now: () => clock, timer: false });
  display.onEvent({ type: 'start', experiment: 'r', epochs: 4, firstEpoch: 3, batchesPerEpoch: 100, kernels: 'ts' });
  assert.equal(lines[0], '[r] resumed from its checkpoint at epoch 3 of 4 epochs × 100 batches (kernels: ts)');
  for (let b = 1; b <= 61; b++) {
    clock = b * 1000;
    display.onEvent(batch('r', 3, b, 100));
  }
  assert.deepEqual(lines.slice(1), ['[r] epoch 3/4, batch 60/100: 260 of 400 batches (65.0 %), 1 batches/s (64 samples/s), ETA 2 min 20 s']);
  display.stop();
});

test('plain: plurals in the start and plan lines', () => {
  const lines: string[] = [];
  const display = plainProgress((line) => lines.push(line), { timer: false });
  display.onPlan(plan([['one', 1, 1]]));
  display.onEvent({ type: 'start', experiment: 'one', epochs: 1, firstEpoch: 1, batchesPerEpoch: 1, kernels: 'ts' });
  display.onEvent(done('one', 1));
  assert.deepEqual(lines, [
    'To train: 1 experiment, 1 batch; records about 1.0 MB (estimated, checkpoints included); 50 GB free on the disk',
    '[one] started: 1 epoch × 1 batch (kernels: ts)',
    '[one] done in 1 s: VANISHING — Gradients vanish.',
  ]);
  display.stop();
});

test('the plan warns above 2 GB of records and when they may not fit on the disk; says where the gradient through time is sparse', () => {
  const big = plan([['a', 50, 125], ['b', 50, 125]], 3e9, 1.6e9);
  big.experiments[0].estimate.hiddenGradientEvery = 9;
  big.experiments[1].estimate.hiddenGradientEvery = 2;
  assert.deepEqual(planLines(big), [
    'To train: 2 experiments, 12,500 batches; records about 3.2 GB (estimated, checkpoints included); 3.0 GB free on the disk',
    '  the gradient through time is recorded on every 9th batch (record.hidden_gradient_every) in a',
    '  the gradient through time is recorded on every 2nd batch (record.hidden_gradient_every) in b',
    'warning: the records will take about 3.2 GB (the largest: a, 1.6 GB); record less with a larger record.hidden_gradient_every or record.histogram_every',
    'warning: the records (about 3.2 GB) may not fit in the 3.0 GB free on the disk; a full disk stops the run (it can be resumed)',
  ]);
  assert.deepEqual(planLines({ ...plan([]), kept: 3 }), ['Nothing to train: 3 experiments finished in the earlier attempt.']);
});

/** A terminal as tmux shows it: the ANSI cursor moves and clears cli-progress uses, applied to a grid of lines. */
class Screen {
  readonly lines: string[] = [''];
  private row = 0;
  private column = 0;
  readonly isTTY = true;
  readonly columns = 140;
  readonly rows = 40;

  write(text: string): boolean {
    let i = 0;
    while (i < text.length) {
      const char = text[i];
      if (char === '\x1b') {
        const csi = /^\x1b\[(\??)(\d*)(?:;(\d*))?([A-Za-z])/.exec(text.slice(i));
        if (csi !== null) {
          this.control(csi[1], csi[2] === '' ? null : Number(csi[2]), csi[4]);
          i += csi[0].length;
        } else {
          i += 2; // ESC 7 / ESC 8: save and restore, unused by the bars
        }
        continue;
      }
      if (char === '\n') {
        this.row++;
        this.column = 0;
        while (this.lines.length <= this.row) this.lines.push('');
      } else if (char === '\r') {
        this.column = 0;
      } else {
        const line = this.lines[this.row].padEnd(this.column);
        this.lines[this.row] = line.slice(0, this.column) + char + line.slice(this.column + 1);
        this.column++;
      }
      i++;
    }
    return true;
  }

  private control(privateMode: string, n: number | null, command: string): void {
    if (privateMode === '?') return; // cursor shown/hidden, line wrapping
    const count = n ?? 1;
    if (command === 'A') this.row = Math.max(0, this.row - count);
    else if (command === 'B') this.row += count;
    else if (command === 'C') this.column += count;
    else if (command === 'D') this.column = Math.max(0, this.column - count);
    else if (command === 'G') this.column = count - 1;
    else if (command === 'K') {
      const line = this.lines[this.row] ?? '';
      this.lines[this.row] = n === 2 ? '' : n === 1 ? ' '.repeat(this.column) + line.slice(this.column) : line.slice(0, this.column);
    } else if (command === 'J') {
      this.lines[this.row] = (this.lines[this.row] ?? '').slice(0, this.column);
      this.lines.length = this.row + 1;
    }
    while (this.lines.length <= this.row) this.lines.push('');
  }

  text(): string[] {
    return this.lines.map((line) => line.trimEnd()).filter((line) => line !== '');
  }
}

test('terminal: finished bars leave no stale lines, every verdict stays on the screen, one bar shows the suite', async () => {
  const screen = new Screen();
  let clock = 0;
  // Redrawn every 10 batches: several lines are printed above the bars at once, as under load.
  const display = terminalProgress(screen as unknown as NodeJS.WriteStream, { now: () => clock, redrawMs: 1_000 });
  const names = ['gru', 'lstm', 'tanh', 'irnn', 'relu', 'adam'];
  display.log('Run folder: /runs/x');
  display.onPlan(plan(names.map((name) => [name, 2, 5])));
  // Two at a time, as two workers train them; each ends with its verdict.
  for (let pair = 0; pair < names.length; pair += 2) {
    const running = names.slice(pair, pair + 2);
    for (const name of running) display.onEvent({ type: 'start', experiment: name, epochs: 2, firstEpoch: 1, batchesPerEpoch: 5, kernels: 'ts' });
    for (let e = 1; e <= 2; e++) {
      for (let b = 1; b <= 5; b++) {
        clock += 100;
        for (const name of running) display.onEvent(batch(name, e, b, 5));
      }
      for (const name of running) display.onEvent(epoch(name, e, 2));
    }
    const mid = screen.text();
    assert.equal(mid.filter((line) => / \| epoch \d\/2 \| /.test(line)).length, 2, `only the running bars:\n${mid.join('\n')}`);
    for (const name of running) display.onEvent(done(name));
  }
  display.stop();
  const shown = screen.text();
  assert.equal(shown[0], 'Run folder: /runs/x');
  // Nothing is drawn after stop (no orphaned redraw timer keeps the process alive and the screen busy).
  const written = screen.lines.join('\n');
  await new Promise((done) => setTimeout(done, 400));
  assert.equal(screen.lines.join('\n'), written);
  for (const name of names) {
    assert.equal(shown.filter((line) => line.startsWith(`[${name}] done in 12 s: VANISHING`)).length, 1, `${name}'s verdict once:\n${shown.join('\n')}`);
    assert.equal(shown.filter((line) => line.startsWith(` ${name} `)).length, 0, `no bar left for ${name}:\n${shown.join('\n')}`);
    assert.equal(shown.filter((line) => line.startsWith(`[${name}] Epoch 2:`)).length, 1, name);
  }
  assert.deepEqual(shown.filter((line) => /^\[.*\|/.test(line)), [], 'no printed line keeps the tail of a bar it was written over');
  const overall = shown.filter((line) => line.includes('all 6 experiments'));
  assert.equal(overall.length, 1, shown.join('\n'));
  assert.match(overall[0], /100% \| 6 of 6 done, 0 training \| ETA 0 s$/);
  assert.equal(shown.at(-1), overall[0], 'the suite\'s bar last, nothing stale below it');
});
