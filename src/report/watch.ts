/**
 * `vanishing report --watch <run folder>`: the report served on localhost while the run trains,
 * so a run of hours can be watched from its first minute. The page is built from what the run
 * has written so far (experiments still training included, from their streaming `.partial`
 * batch files); it polls `state.json`, which carries the training curves' newest batches and a
 * version that changes when an epoch or an experiment ends — then the page reloads, keeping the
 * reader's checkboxes, filter, smoothing, open sections and scroll position.
 * Bound to 127.0.0.1 unless told otherwise; it serves the report, its state and the run's PNGs,
 * nothing else.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { comparisonCharts } from './comparison-charts.js';
import { experimentFiles } from '../record/run-format.js';
import { seedGroups } from './combine-runs.js';
import { allCurveCharts } from './curves-chart.js';
import { recurrentWeightNames } from '../diagnose/parameter-layers.js';
import { experimentCharts, plotSuffixes } from './experiment-charts.js';
import { experimentAnchor, reportHtml } from './html-report.js';
import type { RunContents } from './read-run.js';
import { plotsFolder, readRunFolder, ReportInputError } from './read-run.js';

export interface WatchOptions {
  /** Default 8765; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: only this machine can see the report. */
  host?: string;
  /** How often the page asks for news. Default 2000 ms. */
  pollMilliseconds?: number;
}

export interface WatchServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Changes when an epoch or an experiment ends (or one starts), or a training curve appears (the
 * first batch reaches the disk after the page was built): then the whole page is rebuilt.
 */
function versionOf(folder: string, run: RunContents): string {
  const { run: curves, byExperiment } = curvesOf(run);
  const curveIds = [...curves, ...byExperiment.values()].map((curve) => curve.id).join(',');
  return run.suite.experiments.map((name) => {
    const epochs = join(folder, name, experimentFiles.epochs);
    return [name, existsSync(epochs) ? statSync(epochs).size : -1, existsSync(join(folder, name, experimentFiles.summary)), existsSync(join(folder, name, experimentFiles.config))].join(':');
  }).join('|') + `|curves:${curveIds}`;
}

function curvesOf(run: RunContents): ReturnType<typeof allCurveCharts> {
  return allCurveCharts(run.experiments, (e) => recurrentWeightNames(e.summary.parameterNames), experimentAnchor);
}

function page(folder: string, pollMilliseconds: number): string {
  const run = readRunFolder(folder, { unfinished: true });
  const suffixes = plotSuffixes(run.experiments);
  const perExperiment = run.experiments.map((e) => ({ name: e.summary.name, charts: experimentCharts(e, suffixes.get(e.summary.name)!) }));
  const groups = seedGroups(run.experiments);
  const comparison = run.experiments.length > 0 ? comparisonCharts(run.experiments, run.suite.name, groups) : [];
  return reportHtml(run, plotsFolder(run.folder, run.suite), comparison, perExperiment, groups, { version: versionOf(run.folder, run), pollMilliseconds });
}

function state(folder: string): string {
  const run = readRunFolder(folder, { unfinished: true });
  const { run: curves, byExperiment } = curvesOf(run);
  return JSON.stringify({ version: versionOf(run.folder, run), curves: [...curves, ...byExperiment.values()].map((curve) => ({ id: curve.id, points: curve.points })) });
}

/** Starts serving the run folder's live report; throws a ReportInputError when it is not a run folder. */
export async function watchReport(runFolder: string, options: WatchOptions = {}): Promise<WatchServer> {
  const folder = readRunFolder(runFolder, { unfinished: true, batches: false }).folder;
  const pollMilliseconds = options.pollMilliseconds ?? 2000;
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    try {
      if (request.method !== 'GET') {
        response.writeHead(405).end();
      } else if (path === '/' || path === '/report.html') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(folder, pollMilliseconds));
      } else if (path === '/state.json') {
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(state(folder));
      } else if (/^\/plots\/[A-Za-z0-9_.-]+\.png$/.test(path)) {
        // Only PNG names in the run's plots folder: nothing else of the machine is served.
        const run = readRunFolder(folder, { unfinished: true, batches: false });
        const file = join(plotsFolder(run.folder, run.suite), basename(path));
        if (existsSync(file)) response.writeHead(200, { 'content-type': 'image/png' }).end(readFileSync(file));
        else response.writeHead(404).end();
      } else {
        response.writeHead(404).end();
      }
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`vanishing: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  });
  const port = options.port ?? 8765;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ready, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      // A port in use or an address not on this machine is the user's to change: one line, exit 2.
      const reasons: Record<string, string> = {
        EADDRINUSE: `port ${port} is in use (another watch or program); choose another with --port`,
        EADDRNOTAVAIL: `${host} is not an address of this machine (--host)`,
        EACCES: `port ${port} needs privileges; choose one above 1023 with --port`,
        ENOTFOUND: `${host} is not a known host name (--host)`,
      };
      const reason = error.code !== undefined ? reasons[error.code] : undefined;
      fail(reason !== undefined ? new ReportInputError(`report --watch: ${reason}`) : error);
    });
    server.listen(port, host, () => ready());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
