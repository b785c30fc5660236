/**
 * Files that are whole or absent. A file is written to a temporary name beside it, every byte
 * checked written (a full disk returns a short write or ENOSPC; both are errors here, never a
 * truncated file), flushed to the disk, then renamed over the old one. Streaming files (batch
 * records) append with the same check.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A write that failed: names the file and says why in one line. */
export class FileWriteError extends Error {
  constructor(readonly path: string, readonly code: string | undefined, cause: string) {
    super(`${path}: could not be written: ${cause}`);
    this.name = 'FileWriteError';
  }
}

function why(error: unknown): { code: string | undefined; text: string } {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the disk',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
  };
  return { code, text: code !== undefined && reasons[code] !== undefined ? `${reasons[code]} (${code})` : (error as Error).message };
}

/** `error` (from a file-system call on `path`) as a FileWriteError. */
export function asWriteError(path: string, error: unknown): FileWriteError {
  if (error instanceof FileWriteError) return error;
  const { code, text } = why(error);
  return new FileWriteError(path, code, text);
}

/** Writes all of `bytes` at the descriptor's position; a write that makes no progress is an error. */
export function writeAll(fd: number, data: string | Uint8Array, path: string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let written = 0;
  try {
    while (written < bytes.length) {
      const count = writeSync(fd, bytes, written, bytes.length - written);
      if (count <= 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
      written += count;
    }
  } catch (error) {
    throw asWriteError(path, error);
  }
}

let sequence = 0;

/** Replaces `path` with `data`, whole or not at all. */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${sequence++}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temporary, 'w');
    writeAll(fd, data, path);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the original error says why.
      }
    }
    try {
      unlinkSync(temporary);
    } catch {
      // Never created, or already renamed.
    }
    throw asWriteError(path, error);
  }
}
