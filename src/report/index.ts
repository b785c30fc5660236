/**
 * Pictures and the report, redrawn from a run folder's saved metrics alone: every experiment's
 * PNG plots (the original's five and ours), the comparison plots, and report.html.
 */
import { join, resolve } from 'node:path';
import { comparisonCharts } from './comparison-charts.js';
import { sweepCharts } from './sweep-charts.js';
import { sweepRows } from '../record/sweep-table.js';
import type { NamedChart } from './experiment-charts.js';
import { experimentCharts, plotSuffixes } from './experiment-charts.js';
import { reportFile, reportHtml } from './html-report.js';
import { writeFileAtomically } from '../record/atomic-file.js';
import { plotsFolder, readRunFolder } from './read-run.js';
import { combineRuns, seedGroups } from './combine-runs.js';
import type { RunContents } from './read-run.js';
import { writeChartPng } from './render.js';
import { checkOutputFolder, makeFolder } from '../record/output-folder.js';

export { ReportInputError, readRunFolder } from './read-run.js';
export type { RunContents, RunExperiment } from './read-run.js';
// What RunContents holds of suite.json and config.json, as the run format defines them.
export type { ConfigRecord, SuiteRecord, SweepAxisRecord, SweepRecord } from '../record/run-format.js';
export { sweepCharts } from './sweep-charts.js';
export type { Overlay } from './sweep-charts.js';
export { experimentCharts, plotSuffixes } from './experiment-charts.js';
export type { NamedChart } from './experiment-charts.js';
export { comparisonCharts } from './comparison-charts.js';
export { chartToSvg, svgToPng, writeChartPng } from './render.js';
export type { RenderedPng } from './render.js';
export { watchReport } from './watch.js';
export type { WatchOptions, WatchServer } from './watch.js';

export interface ReportOptions {
  /** Where the PNGs go. Default: the folder recorded in suite.json (the run folder's `plots/`). */
  plotsDir?: string;
}

export interface ReportOutcome {
  /** Where the PNGs went. */
  plotsDir: string;
  /** Every PNG written (absolute paths, each once). */
  plots: string[];
  /** The report.html written. */
  report: string;
  warnings: string[];
}

/** Draws a run folder's PNGs and writes its report.html. */
export async function buildReport(runFolder: string, options: ReportOptions = {}): Promise<ReportOutcome> {
  const run = readRunFolder(runFolder);
  checkOutputFolder(run.folder, 'report');
  if (options.plotsDir !== undefined) checkOutputFolder(options.plotsDir, '--plots');
  return render(run, options.plotsDir !== undefined ? resolve(options.plotsDir) : plotsFolder(run.folder, run.suite));
}

/**
 * Several runs side by side in one report, written with its PNGs into `outFolder` (created; by
 * default `runs/compare-<time>`): every experiment labelled by its run, experiments that differ
 * only in their seed drawn as a mean with a band.
 */
export async function buildComparisonReport(runFolders: readonly string[], options: { outFolder?: string; now?: Date } = {}): Promise<ReportOutcome> {
  const runs = runFolders.map((folder) => readRunFolder(folder));
  const now = options.now ?? new Date();
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const outFolder = resolve(options.outFolder ?? join('runs', `compare-${stamp}`));
  checkOutputFolder(outFolder, '--out');
  makeFolder(outFolder);
  return render(combineRuns(runs, outFolder, now), join(outFolder, 'plots'));
}

/** Everything a report draws and writes, built before anything is written. */
export interface ReportPlan {
  plotsDir: string;
  /** Every PNG to draw, in order. */
  charts: NamedChart[];
  /** report.html's path and text. */
  reportPath: string;
  html: string;
}

/**
 * Builds every chart and the page from the records first: a record that still trips the drawing
 * code fails here, before the plots folder or any file exists.
 */
export function planReport(run: RunContents, plotsDir: string): ReportPlan {
  const sweep = run.suite.sweep;
  if (sweep !== undefined) {
    // A sweep is read as a whole: its phase diagrams, not a page and five PNGs per point (a sweep has hundreds).
    const summaries = new Map(run.experiments.map((experiment) => [experiment.summary.name, experiment.summary]));
    const charts = sweepCharts(sweep, sweepRows(sweep, (name) => summaries.get(name) ?? null), run.suite.name);
    return { plotsDir, charts, reportPath: join(run.folder, reportFile), html: reportHtml(run, plotsDir, charts, [], [], null) };
  }
  const perExperiment: { name: string; charts: NamedChart[] }[] = [];
  const suffixes = plotSuffixes(run.experiments);
  for (const experiment of run.experiments) {
    perExperiment.push({ name: experiment.summary.name, charts: experimentCharts(experiment, suffixes.get(experiment.summary.name)!) });
  }
  const groups = seedGroups(run.experiments);
  const comparison = run.experiments.length > 0 ? comparisonCharts(run.experiments, run.suite.name, groups) : [];
  return {
    plotsDir,
    charts: [...perExperiment.flatMap((experiment) => experiment.charts), ...comparison],
    reportPath: join(run.folder, reportFile),
    html: reportHtml(run, plotsDir, comparison, perExperiment, groups, null),
  };
}

async function render(run: RunContents, plotsDir: string): Promise<ReportOutcome> {
  const plan = planReport(run, plotsDir);
  makeFolder(plotsDir);
  const plots: string[] = [];
  for (const chart of plan.charts) {
    const path = join(plotsDir, chart.file);
    await writeChartPng(chart.spec, path);
    plots.push(path);
  }
  writeFileAtomically(plan.reportPath, plan.html);
  return { plotsDir, plots, report: plan.reportPath, warnings: run.warnings };
}
