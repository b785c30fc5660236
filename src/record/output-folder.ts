/**
 * Output locations are checked before anything runs: a `--out` that is a file, on a read-only
 * disk or without permission is bad input, said at once — not after an hour of training.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { asWriteError, FileWriteError } from './atomic-file.js';
import { dirname, join, resolve } from 'node:path';

/** An output location that cannot be used: bad input, said in one line before anything runs. */
export class OutputFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputFolderError';
  }
}

function showValue(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
}

const reasons: Record<string, string> = {
  EROFS: 'is on a read-only file system',
  EACCES: 'is not writable (permission denied)',
  EPERM: 'is not writable (operation not permitted)',
  ENOSPC: 'is on a full disk',
  EDQUOT: 'is over its disk quota',
};

/**
 * Throws an OutputFolderError naming `flag` when `folder` could not be created or written: it (or the
 * nearest part of its path that exists) must be a folder this process may write.
 */
export function checkOutputFolder(folder: string, flag: string): void {
  let path = resolve(folder);
  for (;;) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(path) !== path) {
        path = dirname(path);
        continue;
      }
      if (code === 'ENAMETOOLONG') throw new OutputFolderError(`${flag}: the path is too long, got ${showValue(folder)}`);
      throw new OutputFolderError(`${flag}: cannot be used (${code ?? (error as Error).message}), got ${showValue(folder)}`);
    }
    if (!isFolder) {
      const what = path === resolve(folder) ? 'is a file, not a folder' : `cannot be created: ${path} is a file`;
      throw new OutputFolderError(`${flag}: ${what}, got ${showValue(folder)}`);
    }
    try {
      accessSync(path, constants.W_OK | constants.X_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const where = path === resolve(folder) ? '' : ` (${path})`;
      throw new OutputFolderError(`${flag}: ${showValue(folder)}${where} ${reasons[code] ?? `cannot be written (${code})`}`);
    }
    // Permission bits do not tell everything (under /proc a root process "may write" but no folder
    // can be made): a folder is made there and removed, as the run will.
    try {
      rmdirSync(mkdtempSync(join(path, '.vanishing-probe-')));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const where = path === resolve(folder) ? '' : ` (${path})`;
      throw new OutputFolderError(`${flag}: ${showValue(folder)}${where} ${reasons[code] ?? `cannot hold new folders (${code})`}`);
    }
    return;
  }
}

/**
 * Creates `folder` and any missing parents, one level at a time. Node's recursive mkdir loops
 * forever on a path whose parent says ENOENT while existing (e.g. under /proc); here every
 * failure is an error naming the level that could not be made.
 */
export function makeFolder(folder: string): void {
  const path = resolve(folder);
  const missing: string[] = [];
  for (let level = path; ; level = dirname(level)) {
    try {
      if (statSync(level).isDirectory()) break;
      throw new FileWriteError(level, 'ENOTDIR', 'is a file, not a folder');
    } catch (error) {
      if (error instanceof FileWriteError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(level) === level) throw asWriteError(level, error);
      missing.unshift(level);
    }
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw asWriteError(level, error);
    }
  }
}
