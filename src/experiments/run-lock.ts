/**
 * One process writes a run folder at a time. Two `--resume` of the same run would race on the
 * same `.partial` files and leave an error.txt beside a good summary; the lock file makes the
 * second one stop before it touches anything.
 *
 * The lock is a file created exclusively (`wx`) holding the owner's pid and host. A lock whose
 * process no longer exists on this host (killed with -9, machine rebooted) is stale and taken over.
 */
import { hostname } from 'node:os';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './errors.js';
import { runFiles } from '../record/run-format.js';

export const lockFile = runFiles.lock;

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return null;
    return { pid: owner.pid, host: owner.host, since: typeof owner.since === 'string' ? owner.since : 'an unknown time' };
  } catch {
    // Unreadable: written by a process killed between create and write; it cannot be running.
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held lock; `release()` removes it (idempotent). */
export interface RunLock {
  release(): void;
}

/**
 * Locks `folder` for this process, or throws an InputError naming the process that holds it.
 * A stale lock (its process gone) is replaced.
 */
export function lockRunFolder(folder: string): RunLock {
  const path = join(folder, lockFile);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (owner !== null && (owner.host !== me.host || isAlive(owner.pid)) && owner.pid !== process.pid) {
        const where = owner.host === me.host ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
        throw new InputError([`${folder}: in use by ${where} since ${owner.since}; wait for it to end (or, if it is gone, delete ${path})`]);
      }
      try {
        unlinkSync(path);
      } catch {
        // Another process took it over first; the next attempt sees its lock.
      }
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      try {
        if (readOwner(path)?.pid === process.pid) unlinkSync(path);
      } catch {
        // Already gone.
      }
    };
    process.on('exit', release);
    return { release };
  }
  throw new InputError([`${folder}: could not lock the run folder (${path} keeps changing: another process is starting on it)`]);
}
