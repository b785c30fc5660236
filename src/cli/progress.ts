/**
 * What the user sees while a suite trains: on a terminal a progress bar per experiment; anywhere
 * else (CI, a pipe, a file) one plain line per epoch like the original's
 * `Epoch 3: Loss=…, GradNorm=…, MinLayerGrad=…`, prefixed with the experiment's name.
 */
import cliProgress from 'cli-progress';
import type { ExperimentEvent } from '../experiments/run-experiment.js';
import { decodeNumber } from '../record/metrics.js';
import type { RecordedNumber } from '../record/metrics.js';

export interface ProgressDisplay {
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

function doneLine(event: Extract<ExperimentEvent, { type: 'done' }>): string {
  const s = event.summary;
  return `[${event.experiment}] ${s.status === 'diverged' ? 'DIVERGED' : 'done'} in ${s.seconds.toFixed(1)} s: ${s.verdict.kind.toUpperCase()} — ${s.verdict.headline}`;
}

export function plainProgress(write: (line: string) => void): ProgressDisplay {
  return {
    onEvent(event) {
      if (event.type === 'start') write(`[${event.experiment}] started: ${event.epochs} epochs × ${event.batchesPerEpoch} batches (kernels: ${event.kernels})`);
      if (event.type === 'epoch') write(epochLine(event));
      if (event.type === 'done') write(doneLine(event));
    },
    log: write,
    stop() {},
  };
}

export function terminalProgress(stream: NodeJS.WriteStream): ProgressDisplay {
  const multibar = new cliProgress.MultiBar({
    stream,
    format: ' {name} |{bar}| {percentage}% | epoch {epoch}/{epochs} | loss {loss} | {status}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    autopadding: true,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  const bars = new Map<string, { bar: cliProgress.SingleBar; epochs: number; batchesPerEpoch: number }>();
  const width = 30;
  return {
    onEvent(event) {
      if (event.type === 'start') {
        const name = event.experiment.length > width ? `${event.experiment.slice(0, width - 1)}…` : event.experiment.padEnd(width);
        const bar = multibar.create(event.epochs * event.batchesPerEpoch, 0, { name, epoch: 0, epochs: event.epochs, loss: '—', status: 'training' });
        bars.set(event.experiment, { bar, epochs: event.epochs, batchesPerEpoch: event.batchesPerEpoch });
        return;
      }
      const entry = bars.get(event.experiment);
      if (entry === undefined) return;
      if (event.type === 'batch') {
        entry.bar.update((event.epoch - 1) * entry.batchesPerEpoch + event.batch, { epoch: event.epoch, loss: fixed(event.loss) });
      } else if (event.type === 'epoch') {
        multibar.log(`${epochLine(event)}\n`);
      } else if (event.type === 'done') {
        entry.bar.update(entry.bar.getTotal(), { status: event.summary.status === 'diverged' ? 'DIVERGED' : event.summary.verdict.kind });
        entry.bar.stop();
      }
    },
    log(line) {
      multibar.log(`${line}\n`);
    },
    stop() {
      multibar.stop();
    },
  };
}
