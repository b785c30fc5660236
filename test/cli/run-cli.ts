/**
 * The command line as a user runs it, from the sources: `vanishing <args>` in a child process
 * (through tsx), its exit status and what it printed. Shared by the tests that drive the CLI.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** src/cli/main.ts: what `npx vanishing` runs once built. */
export const cliMain = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), cliMain, ...args], { cwd: options.cwd, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
