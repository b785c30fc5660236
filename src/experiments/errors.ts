/**
 * Bad input the user can fix: a malformed experiment file, an unknown preset, a bad override.
 * Each problem is one line naming the file, the field path and the value; the CLI prints them
 * and exits with code 2 before anything runs.
 */
export class InputError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InputError';
    this.problems = problems;
  }
}

// Defined with the run-folder reader, which shows values the same way; re-exported for the runner's callers.
export { showValue } from '../record/show-value.js';
