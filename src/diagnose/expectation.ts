/**
 * Checking a verdict against the answer an experiment file expected (`expect:`): the labelled
 * verdict benchmark (presets/verdicts.yaml) and any user's own known cases.
 */
import type { Expectation, Verdict } from '../record/metrics.js';

/** What differs from the expectation, one phrase each ("verdict healthy, expected vanishing"); empty when all match. */
export function expectationMismatches(verdict: Verdict, expected: Expectation | null | undefined): string[] {
  if (expected === null || expected === undefined) return [];
  const mismatches: string[] = [];
  if (expected.verdict !== null && verdict.kind !== expected.verdict) mismatches.push(`verdict ${verdict.kind}, expected ${expected.verdict}`);
  const initial = verdict.atInitialisation?.kind ?? null;
  if (expected.atInitialisation !== null && initial !== expected.atInitialisation) {
    mismatches.push(`at initialisation ${initial ?? 'not judged'}, expected ${expected.atInitialisation}`);
  }
  if (expected.learning !== null && verdict.learning.kind !== expected.learning) mismatches.push(`learning ${verdict.learning.kind}, expected ${expected.learning}`);
  return mismatches;
}

/** "vanishing / init vanishing / learned" — the expected answer in one cell. */
export function describeExpectation(expected: Expectation): string {
  return [expected.verdict, expected.atInitialisation === null ? null : `init ${expected.atInitialisation}`, expected.learning]
    .filter((part): part is string => part !== null)
    .join(', ');
}
