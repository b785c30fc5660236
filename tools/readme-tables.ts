/**
 * Regenerates the README's result tables from the tool's own output: the `quick` suite (what
 * `npm start` shows), the labelled verdict benchmark on seeds 0, 1 and 2, and `classics`. Every
 * cell is a verdict, a measure or a headline the tool printed; nothing is written by hand.
 *   node --import tsx tools/readme-tables.ts [--skip-classics]
 * Rewrites the blocks between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in README.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeExpectation, expectationMismatches } from '../src/diagnose/expectation.js';
import { formatNumber, learningLabels } from '../src/diagnose/sentences.js';
import type { ExperimentOutcome } from '../src/experiments/run-suite.js';
import { runSuite } from '../src/experiments/run-suite.js';
import { loadSuite } from '../src/experiments/suite.js';
import type { ExperimentSummary, RecordedNumber } from '../src/record/metrics.js';
import { decodeNumber } from '../src/record/metrics.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-readme-'));

async function run(preset: string, seed?: number): Promise<ExperimentSummary[]> {
  const started = performance.now();
  const outcome = await runSuite(loadSuite(preset, seed === undefined ? {} : { seed }), { outRoot: join(root, `${preset}-${seed ?? 'default'}`), workers: 2 });
  console.log(`${preset}${seed === undefined ? '' : ` seed ${seed}`}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return outcome.experiments.map((experiment: ExperimentOutcome) => {
    if (experiment.summary === null) throw new Error(`${preset}/${experiment.name} failed: ${experiment.error ?? ''}`);
    return experiment.summary;
  });
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const number = (value: RecordedNumber | null | undefined): string => (value === null || value === undefined ? '—' : formatNumber(decodeNumber(value)));
const percent = (value: number | null): string => (value === null ? '—' : `${(100 * value).toFixed(1)} %`);

/** The story table: verdict, verdict at initialisation, learning, the tool's headline. */
function storyTable(summaries: readonly ExperimentSummary[]): string {
  const rows = summaries.map((s) => `| \`${s.name}\` | ${s.verdict.kind} | ${s.verdict.atInitialisation?.kind ?? '—'} | ${learningLabels[s.verdict.learning.kind]} | `
    + `${number(s.final.validationLoss)} (${number(s.baseline?.loss)}) | ${percent(s.final.validationAccuracy)} | ${cell(s.verdict.headline)} |`);
  return ['| experiment | verdict | at initialisation | learned? | val loss (chance) | val acc | the tool\'s headline |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The numbers a scenario's verdict rests on, from its measures. */
function keyNumbers(s: ExperimentSummary): string {
  const m = s.verdict.measures;
  const parts: string[] = [];
  const value = (name: string): number | null => (m[name] === null || m[name] === undefined ? null : decodeNumber(m[name]!));
  const add = (label: string, name: string, suffix = ''): void => {
    const v = value(name);
    if (v !== null && Number.isFinite(v)) parts.push(`${label} ${formatNumber(v)}${suffix}`);
  };
  if (s.divergence !== null) parts.push(`NaN/∞ at epoch ${s.divergence.epoch}, batch ${s.divergence.batch}`);
  add('init depth', 'initArrivingPerLayer', '×/layer');
  add('init time', 'initTimePerStep', '×/step');
  add('init top layer', 'initRecurrencePerStep', '×/step');
  if (s.divergence === null) {
    add('depth', 'depthPerLayer', '×/layer');
    add('time', 'timePerStep', '×/step');
    add('span', 'timeConstantsOverLag', ' τ');
    const growth = value('totalNormGrowth');
    if (growth !== null && growth > 100) parts.push(`norm grew ${formatNumber(growth)}×`);
    add('loss/chance', 'lossOverChance');
  }
  return parts.join(', ');
}

function benchmarkTable(bySeed: readonly (readonly ExperimentSummary[])[]): { table: string; matching: number; total: number } {
  let matching = 0;
  let total = 0;
  const rows = bySeed[0].map((first, index) => {
    const verdicts = bySeed.map((summaries) => {
      const s = summaries[index];
      const ok = expectationMismatches(s.verdict, s.expected).length === 0;
      total++;
      if (ok) matching++;
      return `${s.verdict.kind}${s.verdict.atInitialisation !== null ? ` / ${s.verdict.atInitialisation.kind}` : ''}${ok ? '' : ' ✗'}`;
    });
    return `| \`${first.name}\` | ${first.expected == null ? '—' : cell(describeExpectation(first.expected))} | ${verdicts.join('<br>')} | ${cell(keyNumbers(first))} | ${cell(first.expected?.why ?? '')} |`;
  });
  const table = ['| scenario | expected | verdict / at init, seeds 0, 1, 2 | key numbers (seed 0) | why the answer is known |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
  return { table, matching, total };
}

function replaceBlock(text: string, name: string, content: string): string {
  const pattern = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
  if (!pattern.test(text)) throw new Error(`README.md has no <!-- generated:${name} --> block`);
  return text.replace(pattern, (_, open: string, close: string) => `${open}\n${content}\n${close}`);
}

try {
  let readme = readFileSync('README.md', 'utf8');
  readme = replaceBlock(readme, 'quick', storyTable(await run('quick')));
  const bySeed = [await run('verdicts', 0), await run('verdicts', 1), await run('verdicts', 2)];
  const benchmark = benchmarkTable(bySeed);
  readme = replaceBlock(readme, 'verdicts', `${benchmark.table}\n\n${benchmark.matching} of ${benchmark.total} verdicts (${bySeed[0].length} scenarios × 3 seeds) match the expected answer.`);
  if (!process.argv.includes('--skip-classics')) readme = replaceBlock(readme, 'classics', storyTable(await run('classics')));
  writeFileSync('README.md', readme);
  console.log(`README.md: tables rewritten; benchmark ${benchmark.matching}/${benchmark.total}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
