/**
 * Reading a user's data file whole, safely: only regular files, and only up to a stated size.
 *
 * `readFileSync` on a FIFO blocks until some process writes to it (forever, in practice), and on
 * /dev/zero reads until memory runs out. So the path is stat'ed first (stat never blocks), then
 * opened non-blocking and stat'ed again through the descriptor (the file checked is the file
 * read, even if the path was swapped in between), and read with a cap.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { DataError } from './dataset.js';
import { formatBytes } from './limits.js';

function kindOf(stats: Stats): string | null {
  if (stats.isFile()) return null;
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return `permission denied (${code})`;
    case 'ENOTDIR': return 'a folder on the path is a file (ENOTDIR)';
    case 'ENAMETOOLONG': return 'the name is too long (ENAMETOOLONG)';
    case 'ELOOP': return 'too many symbolic links (ELOOP)';
    case 'EIO': return 'input/output error (EIO)';
    default: return code ?? (error instanceof Error ? error.message.split('\n')[0] : String(error));
  }
}

/**
 * The bytes of the regular file at `path`. `label` names it in errors (`/data/x.npy
 * (data.train_inputs)`); a file larger than `maxBytes`, or anything that is not a regular
 * file, is a DataError saying so.
 */
export function readDataFile(path: string, label: string, maxBytes: number): Buffer {
  const refuse = (why: string): DataError => new DataError(`${label}: ${why}`);
  const check = (stats: Stats): void => {
    const kind = kindOf(stats);
    if (kind !== null) throw refuse(`is ${kind}, not a regular file; data must be read from a file`);
    if (stats.size > maxBytes) throw refuse(`is ${formatBytes(stats.size)} (${stats.size} bytes); a data file of this kind may be at most ${formatBytes(maxBytes)}`);
  };
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw refuse(`cannot read the file (${errnoText(error)})`);
  }
  check(stats);
  let descriptor: number;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait for a writer.
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw refuse(`cannot read the file (${errnoText(error)})`);
  }
  try {
    check(fstatSync(descriptor));
    // One byte more than the size: a file that grew since the stat, or reports a size of 0
    // (like files under /proc), is read on, but never past the bound.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes, stats.size) + 1);
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        if (filled > maxBytes) throw refuse(`grew past ${formatBytes(maxBytes)} while being read; a data file of this kind may be at most ${formatBytes(maxBytes)}`);
        const larger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(larger, 0, 0, filled);
        buffer = larger;
      }
      const read = readSync(descriptor, buffer, filled, buffer.length - filled, null);
      if (read === 0) return buffer.subarray(0, filled);
      filled += read;
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw refuse(`cannot read the file (${errnoText(error)})`);
  } finally {
    closeSync(descriptor);
  }
}
