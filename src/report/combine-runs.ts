/**
 * Several run folders in one report: each experiment labelled by its run (`quick-…/lstm`), and
 * experiments that differ only in their seed — within a run or across runs — grouped, so the
 * comparison charts can draw them as a mean with a band.
 */
import { basename, dirname } from 'node:path';
import type { ConfigRecord } from '../record/run-format.js';
import { runFiles, runFormatVersion } from '../record/run-format.js';
import type { RunContents, RunExperiment } from './read-run.js';

/** A label per run folder: its name, with its parent's where two runs share a name. */
function runLabels(runs: readonly RunContents[]): string[] {
  const names = runs.map((run) => basename(run.folder));
  return runs.map((run, i) => (names.filter((name) => name === names[i]).length > 1 ? `${basename(dirname(run.folder))}/${names[i]}` : names[i]));
}

/** One report's worth of runs: the experiments of every run, renamed `<run>/<experiment>`. */
export function combineRuns(runs: readonly RunContents[], outFolder: string, now: Date = new Date()): RunContents {
  const labels = runLabels(runs);
  const experiments: RunExperiment[] = runs.flatMap((run, i) => run.experiments.map((e) => ({
    ...e,
    summary: { ...e.summary, name: `${labels[i]}/${e.summary.name}` },
  })));
  return {
    folder: outFolder,
    suite: {
      format_version: runFormatVersion,
      name: `compare ${labels.join(', ')}`,
      description: `${runs.length} runs side by side: ${runs.map((run, i) => `${labels[i]} (${run.suite.name}, ${run.experiments.length} experiments)`).join('; ')}`,
      source: runs.map((run) => run.folder).join(', '),
      createdAt: now.toISOString(),
      experiments: experiments.map((e) => e.summary.name),
      plotsDir: runFiles.plots,
      configs: experiments.map((e) => e.config).filter((config): config is ConfigRecord => config !== null),
    },
    experiments,
    warnings: runs.flatMap((run, i) => run.warnings.map((warning) => `${labels[i]}: ${warning}`)),
  };
}

/** What makes two experiments the same but for the seed: their configuration without seed, name and words. */
function seedlessKey(config: ConfigRecord): string {
  const { name: _name, description: _description, expect: _expect, training, ...rest } = config;
  const { seed: _seed, ...trainingWithoutSeed } = training;
  return JSON.stringify({ ...rest, training: trainingWithoutSeed });
}

/**
 * Groups of experiments (by name) that differ only in their seed, each with a label for its mean
 * ("lstm (3 seeds)"); experiments without a twin are not in any group.
 */
export function seedGroups(experiments: readonly RunExperiment[]): { label: string; members: string[] }[] {
  const byKey = new Map<string, RunExperiment[]>();
  for (const e of experiments) {
    if (e.config === null) continue;
    const key = seedlessKey(e.config);
    byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  return [...byKey.values()].filter((group) => group.length > 1 && new Set(group.map((e) => e.config!.training.seed)).size === group.length).map((group) => {
    const base = group[0].config!.name;
    const sameName = group.every((e) => e.config!.name === base);
    return { label: `${sameName ? base : group[0].summary.name} (${group.length} seeds)`, members: group.map((e) => e.summary.name) };
  });
}
