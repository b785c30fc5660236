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

/** A value as it appears in an error line: strings quoted, objects as compact JSON. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
