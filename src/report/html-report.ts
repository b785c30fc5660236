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
import { verdictColors } from './comparison-charts.js';
import type { NamedChart } from './experiment-charts.js';
import type { RunContents } from './read-run.js';
import { compileChart } from './render.js';
import writeFileAtomic from 'write-file-atomic';

const require = createRequire(import.meta.url);

export const reportFile = 'report.html';

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

function anchor(name: string): string {
  return `experiment-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

function number(value: RecordedNumber | null | undefined): string {
  return value === null || value === undefined ? '—' : formatNumber(decodeNumber(value));
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(100 * value).toFixed(1)} %`;
}

const style = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0; color: #222; background: #fafafa; }
header, main { max-width: 1120px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin-top: 36px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 14px; }
table.verdicts { border-collapse: collapse; width: 100%; font-size: 14px; background: white; }
table.verdicts th, table.verdicts td { border-bottom: 1px solid #e3e3e3; padding: 6px 8px; text-align: left; vertical-align: top; }
table.verdicts td.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; color: white; border-radius: 4px; padding: 1px 8px; font-weight: bold; font-size: 13px; }
.chart { background: white; margin: 14px 0; padding: 8px; border: 1px solid #e3e3e3; border-radius: 4px; overflow-x: auto; }
.chart .caption { font-size: 13px; color: #555; margin: 2px 0 6px; }
ul.evidence li { margin: 4px 0; }
details { margin: 10px 0; }
pre { background: #f1f1f1; padding: 10px; overflow-x: auto; font-size: 12px; }
nav a { margin-right: 12px; font-size: 14px; }
.pngs { font-size: 13px; }
.pngs a { margin-right: 10px; }
#tooltip { position: fixed; display: none; background: rgba(255,255,255,0.97); border: 1px solid #999; border-radius: 4px; padding: 6px 8px; font-size: 12px; pointer-events: none; z-index: 10; box-shadow: 0 2px 6px rgba(0,0,0,0.2); }
#status { font-size: 13px; color: #555; }
`;

/** Runs in the page: renders every embedded chart with vega and shows tooltips. */
const pageScript = `
(function () {
  var charts = JSON.parse(document.getElementById('chart-specs').textContent);
  var tip = document.getElementById('tooltip');
  function escape(text) { return String(text).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function showTooltip(handler, event, item, value) {
    if (value === undefined || value === null || value === '') { tip.style.display = 'none'; return; }
    var rows = typeof value === 'object' ? Object.keys(value).map(function (key) { return '<b>' + escape(key) + '</b>: ' + escape(value[key]); }) : [escape(value)];
    tip.innerHTML = rows.join('<br>');
    tip.style.left = (event.clientX + 14) + 'px';
    tip.style.top = (event.clientY + 14) + 'px';
    tip.style.display = 'block';
  }
  var rendered = 0;
  var failed = 0;
  var status = document.getElementById('status');
  charts.forEach(function (chart) {
    var container = document.getElementById(chart.id);
    var view = new vega.View(vega.parse(chart.spec)).tooltip(showTooltip).initialize(container).renderer('canvas').hover();
    view.runAsync().then(function () {
      container.setAttribute('data-rendered', 'true');
      rendered++;
      status.textContent = rendered + ' of ' + charts.length + ' charts drawn';
    }).catch(function (error) {
      failed++;
      container.textContent = 'This chart could not be drawn: ' + error.message;
      console.error(error);
    });
  });
})();
`;

export function writeHtmlReport(run: RunContents, plotsDir: string, comparison: readonly NamedChart[], perExperiment: readonly { name: string; charts: NamedChart[] }[]): string {
  const vegaScript = readFileSync(vegaBrowserBuild(), 'utf8');
  const pngLink = (file: string): string => relative(run.folder, join(plotsDir, file)).split(sep).map(encodeURIComponent).join('/');
  const specs: { id: string; spec: unknown }[] = [];
  const chartBlock = (id: string, chart: NamedChart): string => {
    specs.push({ id, spec: compileChart(chart.spec) });
    return `<div class="chart"><div class="caption">${escapeHtml(chart.caption)} · <a href="${pngLink(chart.file)}">PNG</a></div><div id="${id}" class="vega-chart"></div></div>`;
  };

  const badge = (kind: VerdictKind | undefined): string => (kind === undefined ? '—' : `<span class="badge" style="background:${verdictColors[kind]}">${kind}</span>`);
  const checked = run.experiments.some((e) => e.summary.expected != null);
  const expectedCell = (s: ExperimentSummary): string => {
    if (!checked) return '';
    if (s.expected == null) return '<td>—</td>';
    const mismatches = expectationMismatches(s.verdict, s.expected);
    return `<td title="${escapeHtml(s.expected.why)}">${mismatches.length === 0 ? `✓ ${escapeHtml(describeExpectation(s.expected))}` : `✗ ${escapeHtml(mismatches.join('; '))}`}</td>`;
  };
  const verdictRows = run.experiments.map((e) => {
    const s = e.summary;
    return `<tr><td><a href="#${anchor(s.name)}">${escapeHtml(s.name)}</a></td>`
      + `<td>${badge(s.verdict.kind)}</td><td>${badge(s.verdict.atInitialisation?.kind)}</td><td>${learningLabels[s.verdict.learning.kind]}</td>`
      + `<td>${escapeHtml(s.verdict.headline)}</td>`
      + `<td class="num">${percent(s.final.validationAccuracy)}</td><td class="num">${number(s.final.validationLoss)}</td>`
      + `<td class="num">${number(s.baseline?.loss)}</td>`
      + `<td class="num">${number(s.final.minLayerGradientNorm)}</td><td class="num">${s.seconds.toFixed(1)} s</td>${expectedCell(s)}</tr>`;
  }).join('\n');

  const comparisonBlocks = comparison.map((chart, i) => chartBlock(`compare-${i}`, chart)).join('\n');
  const experimentSections = run.experiments.map((e) => {
    const s = e.summary;
    const charts = perExperiment.find((p) => p.name === s.name)?.charts ?? [];
    const baseline = s.baseline !== null ? `<p class="meta">Chance level: ${escapeHtml(s.baseline.description)}.</p>` : '';
    const description = e.config?.description !== undefined && e.config.description !== '' ? `<p>${escapeHtml(e.config.description)}</p>` : '';
    return `<section id="${anchor(s.name)}">
<h2>${escapeHtml(s.name)} <span class="badge" style="background:${verdictColors[s.verdict.kind]}">${s.verdict.kind}</span></h2>
${description}
<p><b>${escapeHtml(s.verdict.headline)}</b></p>
${s.verdict.atInitialisation !== null ? `<p>At initialisation, before any update: ${badge(s.verdict.atInitialisation.kind)} ${escapeHtml(s.verdict.atInitialisation.headline)}</p>` : ''}
<p>${escapeHtml(s.verdict.learning.sentence)}</p>
${s.expected != null ? `<p class="meta">Expected: ${escapeHtml(describeExpectation(s.expected))} — ${escapeHtml(s.expected.why)}</p>` : ''}
<ul class="evidence">${s.verdict.evidence.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
<p class="meta">${s.epochsCompleted} epoch${s.epochsCompleted === 1 ? '' : 's'}, ${s.numLayers} layers, ${s.steps} steps, ${s.parameterNames.length} parameters; final training loss ${number(s.final.loss)}, validation ${number(s.final.validationLoss)} / ${percent(s.final.validationAccuracy)}, test ${number(s.final.testLoss)} / ${percent(s.final.testAccuracy)}; ${s.seconds.toFixed(1)} s on ${escapeHtml(s.kernels)} kernels.</p>
${baseline}
<details><summary>Configuration</summary><pre>${escapeHtml(e.config !== null ? stringify(e.config) : '(config.json missing)')}</pre></details>
${charts.map((chart, i) => chartBlock(`${anchor(s.name)}-${i}`, chart)).join('\n')}
</section>`;
  }).join('\n');

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
<header>
<h1>Vanishing gradients: ${escapeHtml(run.suite.name)}</h1>
<div class="meta">${escapeHtml(run.suite.description)}</div>
<div class="meta">Run started ${escapeHtml(run.suite.createdAt)} from ${escapeHtml(run.suite.source)} · <span id="status">drawing charts…</span></div>
<nav><a href="#verdicts">Verdicts</a><a href="#comparison">Comparison</a>${run.experiments.map((e) => `<a href="#${anchor(e.summary.name)}">${escapeHtml(e.summary.name)}</a>`).join('')}</nav>
</header>
<main>
<section id="verdicts">
<h2>Verdicts</h2>
${warnings}
<table class="verdicts"><thead><tr><th>experiment</th><th>verdict</th><th>at init</th><th>learned?</th><th>in one sentence</th><th>val. acc.</th><th>val. loss</th><th>chance loss</th><th>smallest layer grad</th><th>time</th>${checked ? '<th>expected</th>' : ''}</tr></thead>
<tbody>${verdictRows}</tbody></table>
<p class="meta">Hover over a chart for values; click a legend entry to single out a series (shift-click for several, click empty space to reset).</p>
</section>
<section id="comparison"><h2>Comparison</h2>
${comparisonBlocks}
</section>
${experimentSections}
</main>
<script type="application/json" id="chart-specs">${scriptSafe(JSON.stringify(specs))}</script>
<script>${pageScript}</script>
</body>
</html>
`;
  const path = join(run.folder, reportFile);
  writeFileAtomic.sync(path, html);
  return path;
}
