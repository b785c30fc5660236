#!/usr/bin/env node
/**
 * The `vanishing` command line: run a suite, list what ships with the tool, rebuild a report.
 * Exit codes: 0 done, 2 bad input (nothing run, nothing overwritten), 1 internal error or an
 * experiment that failed.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../data/dataset.js';
import { FileWriteError } from '../record/atomic-file.js';
import { OutputFolderError } from '../record/output-folder.js';
import { InputError } from '../experiments/errors.js';
import { runSuite } from '../experiments/run-suite.js';
import type { Suite } from '../experiments/suite.js';
import { loadSuite } from '../experiments/suite.js';
import { listText } from './list.js';
import type { ProgressDisplay } from './progress.js';
import { plainProgress, terminalProgress } from './progress.js';
import { summaryTable } from './summary-table.js';
import { expectationMismatches } from '../diagnose/expectation.js';
import { buildComparisonReport, buildReport, ReportInputError, watchReport } from '../report/index.js';

function wholeNumber(name: string, minimum: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < minimum) {
      throw new InvalidArgumentError(`${name} must be a whole number ≥ ${minimum}, got "${value}"`);
    }
    return number;
  };
}

interface RunOptions {
  epochs?: number;
  seed?: number;
  out: string;
  workers?: number;
  only?: string;
  resume?: string;
  plots?: string;
  report: boolean;
}

async function run(target: string | undefined, options: RunOptions): Promise<number> {
  if (options.resume !== undefined && (target !== undefined || options.epochs !== undefined || options.seed !== undefined || options.only !== undefined)) {
    throw new InputError(['--resume continues a run exactly as it started: give only the run folder (no suite, --epochs, --seed or --only)']);
  }
  let suite: Suite | null = null;
  if (options.resume === undefined) {
    if (target === undefined) throw new InputError(['run: name a preset (see `vanishing list`) or an experiment file']);
    const only = options.only?.split(',').map((name) => name.trim()).filter((name) => name !== '');
    suite = loadSuite(target, { epochs: options.epochs, seed: options.seed, only });
  }
  const interactive = process.stderr.isTTY === true;
  const display: ProgressDisplay = interactive ? terminalProgress(process.stderr) : plainProgress((line) => process.stdout.write(`${line}\n`));
  let outcome;
  try {
    outcome = await runSuite(suite, {
      outRoot: options.out, resume: options.resume, workers: options.workers, plotsDir: options.plots,
      onEvent: (event) => display.onEvent(event), onNotice: (line) => display.log(line),
      onFolder: (folder) => display.log(`Run folder: ${folder}`),
    });
  } finally {
    display.stop();
  }
  process.stdout.write(`\nRun folder: ${outcome.folder}\n`);
  process.stdout.write(`\n${summaryTable(outcome.experiments, process.stdout.isTTY === true)}\n`);
  const checked = outcome.experiments.filter((experiment) => experiment.summary?.expected != null);
  if (checked.length > 0) {
    const matching = checked.filter((experiment) => expectationMismatches(experiment.summary!.verdict, experiment.summary!.expected).length === 0);
    process.stdout.write(`Expected answers: ${matching.length} of ${checked.length} experiments match.\n`);
  }
  const failed = outcome.experiments.filter((experiment) => experiment.summary === null);
  for (const experiment of failed) {
    const details = existsSync(join(experiment.folder, 'error.txt')) ? ` (details in ${join(experiment.folder, 'error.txt')})` : '';
    process.stderr.write(`vanishing: experiment ${experiment.name} failed: ${experiment.error ?? 'unknown error'}${details}\n`);
  }
  if (options.report) {
    try {
      const report = await buildReport(outcome.folder);
      for (const warning of report.warnings) process.stdout.write(`warning: ${warning}\n`);
      process.stdout.write(`Plots: ${report.plots.length} PNG files in ${report.plotsDir}\nReport: ${report.report}\n`);
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      // The training records are whole; only the drawing is missing.
      if (failed.length > 0) {
        process.stderr.write(`vanishing: ${error.message}\n`);
      } else {
        process.stderr.write(`vanishing: ${error.message}; the training records are kept: free some space, then draw them with \`vanishing report ${outcome.folder}\`\n`);
        return 1;
      }
    }
  }
  if (failed.length > 0) process.stderr.write(`vanishing: the finished experiments are kept; to train the others again (after freeing space if the disk was full): vanishing run --resume ${outcome.folder}\n`);
  return failed.length > 0 ? 1 : 0;
}

function program(): Command {
  const cli = new Command('vanishing')
    .description('See, measure and fix vanishing and exploding gradients in recurrent neural networks.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  cli.command('run')
    .description('train a suite of experiments (a preset name or a YAML/JSON file), record every gradient, diagnose, draw')
    .argument('[suite]', 'preset (quick, seed, classics) or experiment file')
    .addOption(new Option('--epochs <n>', 'override every experiment\'s epochs').argParser(wholeNumber('--epochs', 1)))
    .addOption(new Option('--seed <n>', 'override every experiment\'s seed').argParser(wholeNumber('--seed', 0)))
    .option('--out <folder>', 'where run folders are created', 'runs')
    .addOption(new Option('--workers <n>', 'experiments trained in parallel (default: one per core; 0: in this thread)').argParser(wholeNumber('--workers', 0)))
    .option('--only <names>', 'run only these experiments (comma-separated names)')
    .option('--resume <run folder>', 'continue a run: keep finished experiments, restart unfinished ones')
    .option('--plots <folder>', 'where the PNG plots go (default: plots/ in the run folder; the original used plots/vanishing_gradient)')
    .option('--no-report', 'skip the plots and the HTML report')
    .action(async (target: string | undefined, options: RunOptions) => {
      process.exitCode = await run(target, options);
    });
  cli.command('list')
    .description('show the presets, the datasets and their options')
    .option('--fields', 'also show every experiment field with its default')
    .action((options: { fields?: boolean }) => {
      process.stdout.write(`${listText(options.fields === true)}\n`);
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
      process.stdout.write(`Plots: ${report.plots.length} PNG files in ${report.plotsDir}\nReport: ${report.report}\n`);
    });
  return cli;
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
      for (const problem of error.problems) process.stderr.write(`vanishing: ${problem}\n`);
      return 2;
    }
    if (error instanceof FileWriteError) {
      process.stderr.write(`vanishing: ${error.message}\n`);
      return 1;
    }
    if (error instanceof DataError || error instanceof ReportInputError || error instanceof OutputFolderError) {
      process.stderr.write(`vanishing: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`vanishing: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
