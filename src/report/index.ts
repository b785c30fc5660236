/**
 * Pictures and the report, redrawn from a run folder's saved metrics alone: every experiment's
 * PNG plots (the original's five and ours), the comparison plots, and report.html.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { comparisonCharts } from './comparison-charts.js';
import type { NamedChart } from './experiment-charts.js';
import { experimentCharts } from './experiment-charts.js';
import { writeHtmlReport } from './html-report.js';
import { readRunFolder } from './read-run.js';
import { writeChartPng } from './render.js';

export { ReportInputError, readRunFolder } from './read-run.js';
export type { RunContents, RunExperiment } from './read-run.js';
export { experimentCharts, plotSuffix } from './experiment-charts.js';
export type { NamedChart } from './experiment-charts.js';
export { comparisonCharts } from './comparison-charts.js';
export { chartToSvg, svgToPng, writeChartPng } from './render.js';

export interface ReportOptions {
  /** Where the PNGs go. Default: the folder recorded in suite.json, else plots/vanishing_gradient. */
  plotsDir?: string;
}

export interface ReportOutcome {
  /** Every PNG written (absolute paths). */
  plots: string[];
  /** The report.html written. */
  report: string;
  warnings: string[];
}

export async function buildReport(runFolder: string, options: ReportOptions = {}): Promise<ReportOutcome> {
  const run = readRunFolder(runFolder);
  const plotsDir = resolve(options.plotsDir ?? run.suite.plotsDir ?? join('plots', 'vanishing_gradient'));
  mkdirSync(plotsDir, { recursive: true });
  const plots: string[] = [];
  const perExperiment: { name: string; charts: NamedChart[] }[] = [];
  for (const experiment of run.experiments) {
    const charts = experimentCharts(experiment);
    for (const chart of charts) {
      const path = join(plotsDir, chart.file);
      await writeChartPng(chart.spec, path);
      plots.push(path);
    }
    perExperiment.push({ name: experiment.summary.name, charts });
  }
  const comparison = run.experiments.length > 0 ? comparisonCharts(run.experiments, run.suite.name) : [];
  for (const chart of comparison) {
    const path = join(plotsDir, chart.file);
    await writeChartPng(chart.spec, path);
    plots.push(path);
  }
  const report = writeHtmlReport(run, plotsDir, comparison, perExperiment);
  return { plots, report, warnings: run.warnings };
}
