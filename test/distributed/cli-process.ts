/**
 * `vanishing …` as a long-lived child process (through tsx, from the sources), for the queue's
 * tests: workers that run until killed, and a submitter killed mid-run. What it printed is kept,
 * and a test can wait for a line.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cliMain } from '../cli/run-cli.js';

export interface CliProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout or stderr matches `pattern` (rejects after `timeoutMs` or when the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** SIGKILL, unless it already exited. */
  kill(): Promise<void>;
}

export function startCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cliMain, ...args], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    wake();
  });
  const exited = new Promise<number | NodeJS.Signals | null>((done) => child.once('exit', (code, signal) => {
    done(code ?? signal);
    wake();
  }));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise<void>((done, fail) => {
        const timer = setTimeout(() => {
          remove();
          fail(new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const check = (): void => {
          if (pattern.test(stdout) || pattern.test(stderr)) {
            remove();
            done();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            remove();
            fail(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        };
        const remove = (): void => {
          clearTimeout(timer);
          const index = waiters.indexOf(check);
          if (index !== -1) waiters.splice(index, 1);
        };
        waiters.push(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
