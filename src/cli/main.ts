#!/usr/bin/env node
/**
 * The `vanishing` command line: run a suite (here, or on a job queue's workers), be such a
 * worker, list what ships with the tool, predict a suite's gradients from theory, rebuild a report.
 * Exit codes: 0 done, 2 bad input (nothing run, nothing overwritten), 1 internal error or an
 * experiment that failed.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../data/dataset.js';
import { FileWriteError } from '../record/atomic-file.js';
import { OutputFolderError } from '../record/output-folder.js';
import { experimentFiles, runFiles } from '../record/run-format.js';
import { InputError } from '../experiments/errors.js';
import { readSuiteRecord, runSuite } from '../experiments/run-suite.js';
import type { Suite } from '../experiments/suite.js';
import { loadSuite } from '../experiments/suite.js';
import { maxKernelThreads } from '../kernels/select.js';
import { listText } from './list.js';
import { predictText } from './predict.js';
import type { ProgressDisplay } from './progress.js';
import { plainProgress, terminalProgress } from './progress.js';
import { plural } from './plural.js';
import { summaryTable } from './summary-table.js';
import { expectationMismatches } from '../diagnose/expectation.js';
import { buildComparisonReport, buildReport, ReportInputError, watchReport } from '../report/index.js';
import { playgroundFolder, servePlayground } from '../playground/serve.js';
import type { RedisTarget } from '../distributed/connection.js';
import { parseRedisUrl, redactUrl } from '../distributed/connection.js';
import { packageVersion } from '../distributed/package-version.js';

function wholeNumber(name: string, minimum: number, maximum = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < minimum || number > maximum) {
      const range = maximum === Number.MAX_SAFE_INTEGER ? `≥ ${minimum}` : `from ${minimum} to ${maximum}`;
      throw new InvalidArgumentError(`${name} must be a whole number ${range}, got "${value}"`);
    }
    return number;
  };
}

interface RunOptions {
  epochs?: number;
  seed?: number;
  out: string;
  workers?: number;
  threads?: number;
  only?: string;
  resume?: string;
  plots?: string;
  report: boolean;
  /** A Redis URL: train on the queue's workers instead of this machine. */
  queue?: string;
}

/**
 * Ctrl-C (SIGINT) during a run: the bars are stopped, one line says how to continue, and the
 * process exits 130. Every file is whole at any moment (atomic files, a batch stream cut back to
 * the last checkpoint on resume), so stopping at once corrupts nothing; the run lock goes with the
 * process. The handler runs when this thread is free, i.e. while workers train (the default);
 * with --workers 0 the default signal action stops the process at once, and the "Run folder"
 * line printed at the start says how to continue.
 */
function interruptHandler(display: ProgressDisplay, install: boolean, interruptedLine: (folder: string) => string): { folder: string | null; remove(): void } {
  const state = {
    folder: null as string | null,
    remove: (): void => {
      process.removeListener('SIGINT', onInterrupt);
    },
  };
  function onInterrupt(): void {
    display.stop();
    process.stderr.write(state.folder === null
      ? '\nvanishing: interrupted before anything was trained\n'
      : `\n${interruptedLine(state.folder)}\n`);
    process.exit(130);
  }
  if (install) process.once('SIGINT', onInterrupt);
  return state;
}

/** `vanishing run`, or (`command` sweep) `vanishing sweep`: the same run, of a suite that must have a sweep, reported as a table of points. */
async function run(target: string | undefined, options: RunOptions, command: 'run' | 'sweep' = 'run'): Promise<number> {
  // Read first: a URL that is not one is bad input before anything is loaded or written.
  const queue: RedisTarget | null = options.queue === undefined ? null : parseRedisUrl(options.queue);
  if (queue !== null && (options.workers !== undefined || options.threads !== undefined)) {
    throw new InputError([`--queue: the experiments train on the queue's workers (\`vanishing worker\`, its --concurrency), not here: give no --workers or --threads`]);
  }
  // The command that continues this run, as a line may show it (the queue's password as ***).
  const resumeCommand = (folder: string): string => `vanishing ${command === 'sweep' ? 'sweep' : 'run'} --resume ${folder}${options.queue === undefined ? '' : ` --queue ${redactUrl(options.queue)}`}`;
  if (options.resume !== undefined && (target !== undefined || options.seed !== undefined || options.only !== undefined)) {
    throw new InputError(['--resume continues a run exactly as it started: give only the run folder (and --epochs N to extend it to N epochs; no suite, --seed or --only)']);
  }
  let suite: Suite | null = null;
  if (options.resume === undefined) {
    if (target === undefined) throw new InputError([`${command}: name a preset (see \`vanishing list\`) or an experiment file`]);
    const only = options.only?.split(',').map((name) => name.trim()).filter((name) => name !== '');
    suite = loadSuite(target, { epochs: options.epochs, seed: options.seed, only });
    if (command === 'sweep' && suite.sweep === null) throw new InputError([`sweep: ${target} has no sweep: section (its axes, e.g. model.num_layers: [1, 2, 5]); \`vanishing run\` runs a suite without one`]);
  } else if (command === 'sweep' && readSuiteRecord(options.resume).sweep === undefined) {
    throw new InputError([`sweep --resume: ${options.resume} is not a sweep's run folder (\`vanishing run --resume\` continues it)`]);
  }
  const interactive = process.stderr.isTTY === true;
  // With --workers 0 this thread trains and cannot answer a signal: Ctrl-C keeps its default action.
  const handlesInterrupt = options.workers !== 0;
  const display: ProgressDisplay = interactive ? terminalProgress(process.stderr, { hideCursor: handlesInterrupt }) : plainProgress((line) => process.stdout.write(`${line}\n`));
  const stopOnInterrupt = interruptHandler(display, handlesInterrupt, queue === null
    ? (folder) => `vanishing: interrupted; the epochs finished so far are kept: \`vanishing run --resume ${folder}\` continues from the last checkpoint`
    : (folder) => `vanishing: interrupted; the experiments finished so far are kept and the queued ones go on training on the workers: \`${resumeCommand(folder)}\` collects them`);
  let outcome;
  try {
    outcome = await runSuite(suite, {
      outRoot: options.out, resume: options.resume, epochs: options.resume !== undefined ? options.epochs : undefined, workers: options.workers, threads: options.threads, plotsDir: options.plots,
      onEvent: (event) => display.onEvent(event), onNotice: (line) => display.log(line), onPlan: (plan) => display.onPlan(plan),
      onFolder: (folder) => {
        stopOnInterrupt.folder = folder;
        display.log(`Run folder: ${folder} (if stopped, \`${queue === null ? `vanishing run --resume ${folder}` : resumeCommand(folder)}\` continues it)`);
      },
      // BullMQ and ioredis load only for a run on the queue.
      ...(queue !== null ? { train: (await import('../distributed/submit.js')).queueTrainer(queue) } : {}),
    });
  } finally {
    stopOnInterrupt.remove();
    display.stop();
  }
  process.stdout.write(`\nRun folder: ${outcome.folder}\n`);
  if (command === 'sweep' && outcome.record.sweep !== undefined) {
    const counts = new Map<string, number>();
    for (const experiment of outcome.experiments) {
      const verdict = experiment.summary?.verdict.kind ?? 'failed';
      counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
    }
    const axes = outcome.record.sweep.axes.map((axis) => `${axis.field} (${axis.values.length})`).join(' × ');
    process.stdout.write(`\nSweep: ${plural(outcome.experiments.length, 'point')} over ${axes}; verdicts: ${[...counts].map(([verdict, count]) => `${verdict} ${count}`).join(', ')}\n`);
    process.stdout.write(`Sweep table: ${join(outcome.folder, runFiles.sweepTable)}\n`);
  } else {
    process.stdout.write(`\n${summaryTable(outcome.experiments, process.stdout.isTTY === true)}\n`);
  }
  const checked = outcome.experiments.filter((experiment) => experiment.summary?.expected != null);
  if (checked.length > 0) {
    const matching = checked.filter((experiment) => expectationMismatches(experiment.summary!.verdict, experiment.summary!.expected).length === 0);
    process.stdout.write(`Expected answers: ${matching.length} of ${plural(checked.length, 'experiment')} ${matching.length === 1 ? 'matches' : 'match'}.\n`);
  }
  const failed = outcome.experiments.filter((experiment) => experiment.summary === null);
  for (const experiment of failed) {
    const details = existsSync(join(experiment.folder, experimentFiles.error)) ? ` (details in ${join(experiment.folder, experimentFiles.error)})` : '';
    process.stderr.write(`vanishing: experiment ${experiment.name} failed: ${experiment.error ?? 'unknown error'}${details}\n`);
  }
  if (options.report) {
    try {
      const report = await buildReport(outcome.folder);
      for (const warning of report.warnings) process.stdout.write(`warning: ${warning}\n`);
      process.stdout.write(`Plots: ${plural(report.plots.length, 'PNG file')} in ${report.plotsDir}\nReport: ${report.report}\n`);
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      // The training records are whole; only the drawing is missing.
      if (failed.length > 0) {
        process.stderr.write(`vanishing: ${error.message}\n`);
      } else {
        const fix = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? 'free some space, then draw' : 'draw';
        process.stderr.write(`vanishing: ${error.message}; the training records are kept: ${fix} them with \`vanishing report ${outcome.folder}\`\n`);
        return 1;
      }
    }
  }
  if (failed.length > 0) process.stderr.write(`vanishing: the finished experiments are kept; to train the others again (after freeing space if the disk was full): ${queue === null ? `vanishing run --resume ${outcome.folder}` : resumeCommand(outcome.folder)}\n`);
  return failed.length > 0 ? 1 : 0;
}

function program(): Command {
  const cli = new Command('vanishing')
    .description('See, measure and fix vanishing and exploding gradients in recurrent neural networks.')
    .version(packageVersion(), '-V, --version', 'print the version')
    // A usage error is one line like every other input error (commander prints "error: …\n").
    .configureOutput({ outputError: (text, write) => write(`vanishing: ${oneLine(text.replace(/^error: /, '').trimEnd())} (--help shows the usage)\n`) })
    .exitOverride();
  // run and sweep take the same options; only what they call an experiment differs.
  const trainingCommand = (name: 'run' | 'sweep', description: string, suiteHelp: string, unit: { one: string; many: string }): void => {
    cli.command(name)
      .description(description)
      .argument('[suite]', suiteHelp)
      .addOption(new Option('--epochs <n>', `override every ${unit.one}'s epochs (with --resume: extend the run to n epochs)`).argParser(wholeNumber('--epochs', 1)))
      .addOption(new Option('--seed <n>', `override every ${unit.one}'s seed${name === 'sweep' ? ' (unless the seed is an axis)' : ''}`).argParser(wholeNumber('--seed', 0)))
      .option('--out <folder>', 'where run folders are created', 'runs')
      .addOption(new Option('--workers <n>', `${unit.many} trained in parallel (default: one per core; 0: in this thread)`).argParser(wholeNumber('--workers', 0)))
      .addOption(new Option('--threads <n>', `threads each ${unit.one}'s kernel calls may use (default: the cores shared out among the ${unit.many} running; results do not depend on it)`).argParser(wholeNumber('--threads', 1, maxKernelThreads)))
      .option('--only <names>', `run only these ${unit.many} (comma-separated experiment names)`)
      .option('--resume <run folder>', `continue a ${name}: keep finished ${unit.many}, continue the others from their last checkpoint (with --epochs N: extend every one to N epochs)`)
      .option('--plots <folder>', 'where the PNG plots go (default: plots/ in the run folder; the original used plots/vanishing_gradient)')
      .option('--no-report', 'skip the plots and the HTML report')
      .option('--queue <redis-url>', `train the ${unit.many} on \`vanishing worker\`s anywhere through a job queue on this Redis (redis://[user:password@]host[:port][/db], rediss:// for TLS) instead of on this machine`)
      .action(async (target: string | undefined, options: RunOptions) => {
        process.exitCode = await run(target, options, name);
      });
  };
  trainingCommand('run', 'train a suite of experiments (a preset name or a YAML/JSON file), record every gradient, diagnose, draw',
    'preset (quick, seed, classics, verdicts, phase) or experiment file', { one: 'experiment', many: 'experiments' });
  trainingCommand('sweep', 'run a suite with a sweep: section (every experiment at every point of its axes), then write sweep.csv and the phase diagrams',
    'preset (phase) or experiment file with a sweep: section', { one: 'point', many: 'points' });
  cli.command('worker')
    .description('train experiments from a job queue on Redis (submitted with `vanishing run|sweep … --queue <redis-url>`) until stopped; run one on every machine that should help')
    .argument('<redis-url>', 'the queue\'s Redis: redis://[user:password@]host[:port][/db], rediss:// for TLS')
    .addOption(new Option('--concurrency <n>', 'experiments trained at once (default: one per core)').argParser(wholeNumber('--concurrency', 1, 1024)))
    .option('--name <label>', 'how this worker is named in the submitter\'s progress (default: the host name)')
    .addOption(new Option('--stall-seconds <n>', 'how soon the experiments of a worker that stopped answering go to another (default 30)').argParser(wholeNumber('--stall-seconds', 1, 86_400)))
    .action(async (url: string, options: { concurrency?: number; name?: string; stallSeconds?: number }) => {
      const target = parseRedisUrl(url, 'worker');
      const { startQueueWorker } = await import('../distributed/worker.js');
      const worker = await startQueueWorker(target, { concurrency: options.concurrency, name: options.name, stallSeconds: options.stallSeconds });
      // Until Ctrl-C or a TERM signal; what it was training goes back to the queue for another worker.
      const signal = await new Promise<NodeJS.Signals>((stop) => {
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      process.stdout.write('vanishing worker: stopping; the experiments it was training go back to the queue\n');
      await worker.stop();
      // At once: a training thread being torn down must not keep the process (nor finish a job it no longer holds).
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  cli.command('list')
    .description('show the presets, the datasets and their options')
    .option('--fields', 'show only the experiment fields, each with its default and range')
    .action((options: { fields?: boolean }) => {
      process.stdout.write(`${listText(options.fields === true)}\n`);
    });
  cli.command('predict')
    .description('print the mean-field prediction at initialisation for every experiment (q*, χ, per-step and per-layer factors, ξ), before any training')
    .argument('<suite>', 'preset (see `vanishing list`) or experiment file')
    .action((target: string) => {
      process.stdout.write(`${predictText(loadSuite(target))}\n`);
    });
  cli.command('report')
    .description('redraw the plots and report.html of a run folder from its saved metrics (no training); several run folders: one report comparing them')
    .argument('<run folders...>', 'folders created by `vanishing run`')
    .option('--plots <folder>', 'one run: where the PNG plots go (default: where the run put them)')
    .option('--out <folder>', 'several runs: the folder for the comparison report and its plots (default runs/compare-<time>)')
    .option('--watch', 'serve the report on this machine while the run trains, updated as batches arrive (Ctrl-C stops)')
    .addOption(new Option('--port <n>', 'with --watch: the port (default 8765)').argParser(wholeNumber('--port', 0)))
    .option('--host <address>', 'with --watch: the address to listen on (default 127.0.0.1, this machine only)')
    .action(async (folders: string[], options: { plots?: string; out?: string; watch?: boolean; port?: number; host?: string }) => {
      if (options.watch === true) {
        if (folders.length !== 1) throw new InputError([`report --watch: one run folder, got ${folders.length}`]);
        const server = await watchReport(folders[0], { port: options.port ?? 8765, host: options.host });
        process.stdout.write(`Watching ${folders[0]} at ${server.url} (Ctrl-C stops)\n`);
        await new Promise<void>((stop) => process.once('SIGINT', () => { void server.close().then(stop); }));
        return;
      }
      const report = folders.length === 1
        ? await buildReport(folders[0], { plotsDir: options.plots })
        : await buildComparisonReport(folders, { outFolder: options.out });
      for (const warning of report.warnings) process.stdout.write(`warning: ${warning}\n`);
      process.stdout.write(`Plots: ${plural(report.plots.length, 'PNG file')} in ${report.plotsDir}\nReport: ${report.report}\n`);
    });
  cli.command('playground')
    .description('serve the RNN playground (change depth, cell, init, sequence length in the browser and watch gradients vanish) on this machine')
    .addOption(new Option('--port <n>', 'the port (default 8766; 0: any free one)').argParser(wholeNumber('--port', 0, 65535)))
    .option('--host <address>', 'the address to listen on (default 127.0.0.1, this machine only)')
    .action(async (options: { port?: number; host?: string }) => {
      const folder = playgroundFolder();
      if (folder === null) throw new InputError(['playground: not built in this installation (run npm run playground in the package folder)']);
      const port = options.port ?? 8766;
      const server = await servePlayground(folder, { port, host: options.host ?? '127.0.0.1' }).catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new InputError([`playground: cannot listen on ${options.host ?? '127.0.0.1'}:${port} (${String(code)}; choose another with --port or --host)`]);
        throw error;
      });
      process.stdout.write(`RNN playground at ${server.url} (Ctrl-C stops)\n`);
      await new Promise<void>((stop) => process.once('SIGINT', () => { void server.close().then(stop); }));
    });
  return cli;
}

/** A problem as one line: a value or key holding a newline or control character is shown escaped. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse failure is bad input.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof InputError) {
      for (const problem of error.problems) process.stderr.write(`vanishing: ${oneLine(problem)}\n`);
      return 2;
    }
    if (error instanceof FileWriteError) {
      process.stderr.write(`vanishing: ${error.message}\n`);
      return 1;
    }
    if (error instanceof DataError || error instanceof ReportInputError || error instanceof OutputFolderError) {
      process.stderr.write(`vanishing: ${oneLine(error.message)}\n`);
      return 2;
    }
    process.stderr.write(`vanishing: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
