/**
 * report.html: one self-contained file that opens with no network. Vega's browser build and
 * every chart's compiled spec (data inline) are embedded; charts are interactive (hover for
 * values, click a legend entry to single out an experiment or series). Beside them: the verdicts
 * with their evidence, each experiment's configuration, and links to the PNGs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { stringify } from 'yaml';
import { describeExpectation, expectationMismatches } from '../diagnose/expectation.js';
import { formatNumber, learningLabels } from '../diagnose/sentences.js';
import { decodeNumber } from '../record/metrics.js';
import type { ExperimentSummary, RecordedNumber, VerdictKind } from '../record/metrics.js';
import { runFiles } from '../record/run-format.js';
import { verdictColors, verdictTableFile } from './comparison-charts.js';
import type { TopLevelSpec } from 'vega-lite';
import type { NamedChart } from './experiment-charts.js';
import type { RunContents } from './read-run.js';
import { filterableBySeries } from './chart-kinds.js';
import type { CurveChart } from './curves-chart.js';
import { allCurveCharts } from './curves-chart.js';
import { recurrentWeightNames } from '../diagnose/parameter-layers.js';
import { pageScript } from './page-script.js';
import { compileChart } from './render.js';

const require = createRequire(import.meta.url);

export const reportFile = runFiles.report;

/** vega's browser build (its package exports only the module entry points, so find the folder). */
function vegaBrowserBuild(): string {
  let folder = dirname(require.resolve('vega'));
  while (!existsSync(join(folder, 'build', 'vega.min.js'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('vanishing: vega/build/vega.min.js not found; reinstall the vega package');
    folder = parent;
  }
  return join(folder, 'build', 'vega.min.js');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Text that is safe inside a <script> element. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** The id of an experiment's section (and the prefix of its charts' ids). */
export function experimentAnchor(name: string): string {
  return `experiment-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}
const anchor = experimentAnchor;

function number(value: RecordedNumber | null | undefined): string {
  return value === null || value === undefined ? '—' : formatNumber(decodeNumber(value));
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(100 * value).toFixed(1)} %`;
}

const style = `
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0; color: #222; background: #fafafa; }
.layout { display: grid; grid-template-columns: 250px minmax(0, 1fr); min-height: 100vh; }
aside#panel { position: sticky; top: 0; align-self: start; height: 100vh; overflow-y: auto; background: #f1f3f5; border-right: 1px solid #ddd; padding: 14px 12px; font-size: 13px; }
aside#panel h3 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.05em; color: #555; margin: 16px 0 6px; }
aside#panel input[type=search] { width: 100%; padding: 4px 6px; }
aside#panel label { display: block; padding: 2px 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
aside#panel .dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 4px; }
aside#panel button { font-size: 12px; margin: 4px 4px 0 0; }
aside#panel nav a { display: block; padding: 2px 0; color: #1f5fbf; text-decoration: none; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.content { min-width: 0; padding: 0 24px 40px; }
header { padding-top: 18px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin-top: 32px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 14px; }
.table-scroll { overflow-x: auto; }
table.verdicts { border-collapse: collapse; width: 100%; font-size: 13px; background: white; }
table.verdicts th, table.verdicts td { border-bottom: 1px solid #e3e3e3; padding: 5px 5px; text-align: left; vertical-align: top; }
table.verdicts td.num { text-align: right; white-space: nowrap; }
/* Long experiment names (underscores, no spaces) break rather than widen the table past the window. */
table.verdicts td:first-child { overflow-wrap: anywhere; min-width: 110px; }
table.verdicts tr:has(+ tr.sentence-row) td { border-bottom: none; padding-bottom: 1px; }
table.verdicts tr.sentence-row td { color: #333; font-size: 12.5px; padding-top: 0; }
.badge { display: inline-block; color: white; border-radius: 4px; padding: 1px 8px; font-weight: bold; font-size: 12px; white-space: nowrap; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 14px; }
.chart { background: white; padding: 8px; border: 1px solid #e3e3e3; border-radius: 4px; min-width: 0; }
.chart .caption { font-size: 13px; color: #555; margin: 2px 0 6px; }
.chart .caption button { font-size: 11px; margin-left: 4px; padding: 0 5px; }
.vega-chart { overflow-x: auto; min-height: 120px; }
section.experiment details > summary { cursor: pointer; font-size: 17px; padding: 8px 0; }
section.experiment details > summary .headline { font-size: 13px; color: #444; margin-left: 6px; }
ul.evidence li { margin: 4px 0; }
pre { background: #f1f1f1; padding: 10px; overflow-x: auto; font-size: 12px; }
#tooltip { position: fixed; display: none; background: rgba(255,255,255,0.97); border: 1px solid #999; border-radius: 4px; padding: 6px 8px; font-size: 12px; pointer-events: none; z-index: 10; box-shadow: 0 2px 6px rgba(0,0,0,0.2); max-width: 420px; }
#status { font-size: 13px; color: #555; }
.controls { font-size: 13px; margin: 6px 0 10px; }
.controls label { margin-right: 14px; }
`;

/** "halves every 3.2 steps": how far back the gradient loses half, from the fitted rate per step. */
/**
 * Theory beside the measurement: what mean-field theory predicted for the network at
 * initialisation (summary.prediction) and what the diagnosis measured then and after training,
 * in the same units; or why no theory applies.
 */
function predictionParagraph(s: ExperimentSummary): string {
  const p = s.prediction;
  if (p === undefined) return '';
  if (!p.applies) return `<p class="meta">Mean-field theory: ${escapeHtml(p.reason ?? 'no prediction')}.</p>`;
  const measured = (name: string): string => {
    const value = s.verdict.measures[name];
    return value === null || value === undefined ? '—' : `×${formatNumber(decodeNumber(value))}`;
  };
  const parts: string[] = [];
  if (p.perStep !== null) parts.push(`per step back through time ×${formatNumber(p.perStep)} predicted; measured ${measured('initTimePerStep')} at initialisation, ${measured('timePerStep')} after training`);
  if (p.perLayer !== null) parts.push(`per layer down the stack ×${formatNumber(p.perLayer)} predicted; measured ${measured('initDepthPerLayer')} at initialisation, ${measured('depthPerLayer')} after training`);
  if (p.chi !== null) parts.push(`χ = ${formatNumber(p.chi)} at the top layer (1 is the order–chaos boundary)`);
  return `<p class="meta">Mean-field theory at initialisation${p.exact ? ' (exact for this network)' : ''}: ${escapeHtml(parts.join('; '))}.</p>`;
}

function halvingDistance(perStep: RecordedNumber | null | undefined): string {
  if (perStep === null || perStep === undefined) return '—';
  const rate = decodeNumber(perStep);
  if (!(rate > 0) || rate >= 1) return rate >= 1 ? 'never' : '—';
  return `${formatNumber(Math.log(2) / -Math.log(rate))} steps`;
}

/** e^−span: the factor over the distance the task needs. */
function endToEnd(span: RecordedNumber | null | undefined): string {
  return span === null || span === undefined ? '—' : formatNumber(Math.exp(-decodeNumber(span)));
}

/** The chart's rows for its CSV download: the top-level data, or its largest layer's. */
function chartTable(spec: unknown): { columns: string[]; rows: unknown[][] } {
  const candidates: unknown[][] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const record = node as { data?: { values?: unknown[] }; layer?: unknown[] };
    if (Array.isArray(record.data?.values)) candidates.push(record.data.values);
    for (const child of record.layer ?? []) visit(child);
  };
  visit(spec);
  const values = (candidates.sort((a, b) => b.length - a.length)[0] ?? []) as Record<string, unknown>[];
  const columns = [...new Set(values.flatMap((row) => Object.keys(row)))];
  return { columns, rows: values.map((row) => columns.map((column) => row[column] ?? null)) };
}

/** A report served while its run trains: the page asks the server for news every `pollMilliseconds`. */
export interface LiveReport {
  /** What the page was built from; a new version (an epoch or an experiment ended) reloads it. */
  version: string;
  pollMilliseconds: number;
}

/**
 * Faceted charts (the histogram strips) cannot be resized in the page once compiled: drawn for
 * the page at a width that fits the grid's column at 1280 px, not the PNG's 1,300 px.
 */
function narrowFacets(spec: TopLevelSpec): TopLevelSpec {
  const inner = (spec as { facet?: unknown; spec?: { width?: unknown } }).spec;
  if ((spec as { facet?: unknown }).facet === undefined || inner === undefined || typeof inner.width !== 'number' || inner.width <= pageFacetWidth) return spec;
  return { ...spec, spec: { ...inner, width: pageFacetWidth } } as TopLevelSpec;
}

const pageFacetWidth = 640;

/** The report page as text (written by the report, served by the watch server). */
export function reportHtml(
  run: RunContents,
  plotsDir: string,
  comparison: readonly NamedChart[],
  perExperiment: readonly { name: string; charts: NamedChart[] }[],
  seedGroups: readonly { label: string; members: readonly string[] }[],
  live: LiveReport | null,
): string {
  const vegaScript = readFileSync(vegaBrowserBuild(), 'utf8');
  const pngLink = (file: string): string => relative(run.folder, join(plotsDir, file)).split(sep).map(encodeURIComponent).join('/');
  const names = run.experiments.map((e) => e.summary.name);
  const specs: { id: string; spec: unknown; filterable: boolean; table: { columns: string[]; rows: unknown[][] } }[] = [];
  const downloads = (id: string, file: string): string => ['csv', 'svg', 'png'].map((kind) => `<button type="button" data-download="${kind}" data-chart="${id}" data-file="${escapeHtml(file)}">${kind.toUpperCase()}</button>`).join('');
  const chartBlock = (id: string, chart: NamedChart): string => {
    const filtered = chart.filterable === true ? filterableBySeries(chart.spec, [...names, ...seedGroups.map((group) => group.label)]) : chart.spec;
    const spec = narrowFacets(filtered);
    specs.push({ id, spec: compileChart(spec), filterable: chart.filterable === true, table: chartTable(chart.spec) });
    const base = chart.file.replace(/\.png$/, '');
    return `<div class="chart"><div class="caption">${escapeHtml(chart.caption)} · <a href="${pngLink(chart.file)}">PNG file</a> ${downloads(id, base)}</div><div id="${id}" class="vega-chart"></div></div>`;
  };
  const { run: curves, byExperiment: layerCurves } = allCurveCharts(run.experiments, (e) => recurrentWeightNames(e.summary.parameterNames), anchor);
  const curveSpecs = [...curves, ...layerCurves.values()].map((curve) => ({ id: curve.id, filterable: curve.filterable, points: curve.points, log: compileChart(curve.log), linear: compileChart(curve.linear) }));
  const curveBlock = (curve: CurveChart): string => `<div class="chart"><div class="caption">${escapeHtml(curve.title)} ${downloads(curve.id, curve.id)}</div><div id="${curve.id}" class="vega-chart"></div></div>`;
  const curveBlocks = curves.map(curveBlock).join('\n');

  const badge = (kind: VerdictKind | undefined): string => (kind === undefined ? '—' : `<span class="badge" style="background:${verdictColors[kind]}">${kind}</span>`);
  const checked = run.experiments.some((e) => e.summary.expected != null);
  const expectedCell = (s: ExperimentSummary): string => {
    if (!checked) return '';
    if (s.expected == null) return '<td>—</td>';
    const mismatches = expectationMismatches(s.verdict, s.expected);
    return `<td title="${escapeHtml(s.expected.why)}">${mismatches.length === 0 ? `✓ ${escapeHtml(describeExpectation(s.expected))}` : `✗ ${escapeHtml(mismatches.join('; '))}`}</td>`;
  };
  const measure = (s: ExperimentSummary, name: string): string => number(s.verdict.measures[name]);
  const columnCount = 13 + (checked ? 1 : 0);
  const verdictRows = run.experiments.map((e) => {
    const s = e.summary;
    return `<tr data-experiment="${escapeHtml(s.name)}"><td><a href="#${anchor(s.name)}">${escapeHtml(s.name)}</a></td>`
      + `<td>${badge(s.verdict.kind)}</td><td>${badge(s.verdict.atInitialisation?.kind)}</td><td>${learningLabels[s.verdict.learning.kind]}</td>`
      + `<td class="num">${measure(s, 'depthPerLayer')}</td><td class="num">${measure(s, 'timePerStep')}</td><td class="num">${measure(s, 'timeConstantsOverLag')}</td>`
      + `<td class="num">${endToEnd(s.verdict.measures.timeConstantsOverLag)}</td><td class="num">${halvingDistance(s.verdict.measures.timePerStep)}</td>`
      + `<td class="num">${percent(s.final.validationAccuracy)}</td><td class="num">${number(s.final.validationLoss)} (${number(s.baseline?.loss)})</td>`
      + `<td class="num">${number(s.final.minLayerGradientNorm)}</td><td class="num">${s.seconds.toFixed(1)} s</td>${expectedCell(s)}</tr>`
      // The sentence on a row of its own under the numbers, so 17 experiments' table fits 1280 px.
      + `\n<tr class="sentence-row" data-experiment="${escapeHtml(s.name)}"><td></td><td colspan="${columnCount - 1}">${escapeHtml(s.verdict.headline)}</td></tr>`;
  }).join('\n');

  // The verdicts chart is the verdict table above, drawn for the PNG; the page has the table.
  const comparisonBlocks = comparison.map((chart) => (chart.file === verdictTableFile ? '' : chartBlock(`chart-${chart.file.replace(/\.png$/, '')}`, chart))).join('\n');
  const experimentSections = run.experiments.map((e) => {
    const s = e.summary;
    const charts = perExperiment.find((p) => p.name === s.name)?.charts ?? [];
    const baseline = s.baseline !== null ? `<p class="meta">Chance level: ${escapeHtml(s.baseline.description)}.</p>` : '';
    const description = e.config?.description !== undefined && e.config.description !== '' ? `<p>${escapeHtml(e.config.description)}</p>` : '';
    return `<section class="experiment" id="${anchor(s.name)}" data-experiment="${escapeHtml(s.name)}">
<details class="experiment-details"><summary>${escapeHtml(s.name)} ${badge(s.verdict.kind)}<span class="headline">${escapeHtml(s.verdict.headline)}</span></summary>
${description}
<p><b>${escapeHtml(s.verdict.headline)}</b></p>
${s.verdict.atInitialisation !== null ? `<p>At initialisation, before any update: ${badge(s.verdict.atInitialisation.kind)} ${escapeHtml(s.verdict.atInitialisation.headline)}</p>` : ''}
${s.expected != null ? `<p class="meta">Expected: ${escapeHtml(describeExpectation(s.expected))} — ${escapeHtml(s.expected.why)}</p>` : ''}
${predictionParagraph(s)}
<ul class="evidence">${s.verdict.evidence.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
<p class="meta">${s.epochsCompleted} epoch${s.epochsCompleted === 1 ? '' : 's'}, ${s.numLayers} layer${s.numLayers === 1 ? '' : 's'}, ${s.steps} steps, ${s.parameterNames.length} parameters; final training loss ${number(s.final.loss)}, validation ${number(s.final.validationLoss)} / ${percent(s.final.validationAccuracy)}, test ${number(s.final.testLoss)} / ${percent(s.final.testAccuracy)}; ${s.seconds.toFixed(1)} s on ${escapeHtml(s.kernels)} kernels.</p>
${baseline}
<details><summary>Configuration</summary><pre>${escapeHtml(e.config !== null ? stringify(e.config) : '(config.json missing)')}</pre></details>
<div class="grid">${layerCurves.has(s.name) ? curveBlock(layerCurves.get(s.name)!) : ''}${charts.map((chart, i) => chartBlock(`${anchor(s.name)}-${i}`, chart)).join('\n')}</div>
</details>
</section>`;
  }).join('\n');

  const experimentBoxes = run.experiments.map((e) => `<label title="${escapeHtml(e.summary.verdict.headline)}"><input type="checkbox" class="experiment-box" data-name="${escapeHtml(e.summary.name)}" checked> <span class="dot" style="background:${verdictColors[e.summary.verdict.kind]}"></span>${escapeHtml(e.summary.name)}</label>`).join('\n');
  const curveControls = curves.length === 0 ? '' : `<h3>Training curves</h3>
<label>smoothing <span id="smoothing-value">0.60</span><br><input type="range" id="smoothing" min="0" max="0.99" step="0.01" value="0.6"></label>
<label><input type="radio" name="curve-scale" value="log" checked> log y</label><label><input type="radio" name="curve-scale" value="linear"> linear y</label>`;
  const warnings = run.warnings.length > 0 ? `<p class="meta">Left out: ${run.warnings.map(escapeHtml).join('; ')}</p>` : '';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vanishing report: ${escapeHtml(run.suite.name)}</title>
<style>${style}</style>
<script>${scriptSafe(vegaScript)}</script>
</head>
<body>
<div id="tooltip"></div>
<div class="layout">
<aside id="panel">
<h3>Experiments</h3>
<input type="search" id="filter" placeholder="filter by name">
<div><button type="button" id="show-all">all</button><button type="button" id="show-none">none</button> <span id="shown-count"></span></div>
<div id="experiment-list">${experimentBoxes}</div>
${curveControls}
<h3>Sections</h3>
<nav><a href="#verdicts">Verdicts</a>${curves.length > 0 ? '<a href="#curves">Training curves</a>' : ''}<a href="#comparison">Comparison</a>${run.experiments.map((e) => `<a href="#${anchor(e.summary.name)}" data-experiment="${escapeHtml(e.summary.name)}">${escapeHtml(e.summary.name)}</a>`).join('')}</nav>
<button type="button" id="expand-all">Expand all experiments</button>
</aside>
<div class="content">
<header>
<h1>Vanishing gradients: ${escapeHtml(run.suite.name)}</h1>
<div class="meta">${escapeHtml(run.suite.description)}</div>
<div class="meta">Run started ${escapeHtml(run.suite.createdAt)} from ${escapeHtml(run.suite.source)} · <span id="status"></span>${live !== null ? ' · <b id="live-status">live: updates as the run trains</b>' : ''}</div>
</header>
<main>
<section id="verdicts">
<h2>Verdicts</h2>
${warnings}
<div class="table-scroll"><table class="verdicts"><thead><tr><th>experiment</th><th>verdict</th><th>at init</th><th>learned?</th><th title="the size of each layer's update, per layer down the stack (fitted)">× per layer</th><th title="the gradient arriving at the input, per step back (fitted)">× per step</th><th title="the distance the task needs in time constants of the decay (6 or more: vanishing)">span</th><th title="the factor the fitted rate changes the gradient by over the distance the task needs">end to end</th><th title="steps back until the gradient arriving at the input halves">halves every</th><th>val. acc.</th><th>val. loss (chance)</th><th>smallest layer grad</th><th>time</th>${checked ? '<th>expected</th>' : ''}</tr></thead>
<tbody>${verdictRows}</tbody></table></div>
<p class="meta">The side panel's checkboxes and filter apply to every chart, this table and the sections. Hover over a chart for values; click a legend entry to single out a series (shift-click for several). Each chart downloads as CSV, SVG or PNG.${comparison.some((chart) => chart.file === verdictTableFile) ? ` This table as a picture: <a href="${pngLink(verdictTableFile)}">PNG file</a>.` : ''}</p>
</section>
${curves.length > 0 ? `<section id="curves"><h2>Training curves</h2><div class="grid">${curveBlocks}</div></section>` : ''}
<section id="comparison"><h2>Comparison</h2>
<div class="grid">${comparisonBlocks}</div>
</section>
<h2>Experiments</h2>
${experimentSections}
</main>
</div>
</div>
<script type="application/json" id="chart-specs">${scriptSafe(JSON.stringify(specs))}</script>
<script type="application/json" id="curve-specs">${scriptSafe(JSON.stringify(curveSpecs))}</script>
<script type="application/json" id="experiment-names">${scriptSafe(JSON.stringify(names))}</script>
<script type="application/json" id="seed-groups">${scriptSafe(JSON.stringify(seedGroups))}</script>
<script type="application/json" id="live">${scriptSafe(JSON.stringify(live))}</script>
<script>${pageScript}</script>
</body>
</html>
`;
  return html;
}
