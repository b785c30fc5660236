/**
 * The worker's half of record-stream.ts: follows the folder an experiment trains into and sends
 * what appears in it to the job's stream as it is written — new bytes of the batch stream, the
 * epoch files when an epoch ends, the progress events — at most a quarter of a second after they
 * happen, and everything (checkpoint included) when the experiment ends.
 *
 * Sends are serialised (one flush at a time, in order); a flush that fails (Redis away) is sent
 * again whole once Redis is back: the offsets and numbers in its entries let the submitter skip
 * what had arrived.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { ExperimentEvent } from '../experiments/run-experiment.js';
import { experimentFiles } from '../record/run-format.js';
import type { RecordEntry } from './record-stream.js';
import { chunkBytes, encodeEntry } from './record-stream.js';

/** How soon buffered batch events and bytes go out. */
const flushDelayMs = 250;
/** How long a stream nobody writes to stays in Redis: a stray attempt's stream is not kept for ever. */
const streamIdleExpirySeconds = 7 * 24 * 3600;

export class RecordSender {
  private batchOffset = 0;
  private configSent = false;
  private epochsChanged = false;
  private events: ExperimentEvent[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The flush running now; another request while it runs sets `again`. */
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly redis: Redis, private readonly key: string, private readonly attempt: string, private readonly folder: string) {}

  /** Tells the submitter this attempt starts, and where. */
  async hello(worker: string): Promise<void> {
    await this.send([{ kind: 'hello', attempt: this.attempt, worker }]);
  }

  /** An event of the experiment: sent with the next flush (at once for a start or a notice). */
  onEvent(event: ExperimentEvent): void {
    // The submitter announces 'done' itself, once the records are whole on its side.
    if (event.type === 'done') return;
    this.events.push(event);
    if (event.type === 'epoch') this.epochsChanged = true;
    // Batches and epochs can come by the hundred a second: they go out together, a flush at most
    // every quarter of a second (each epoch's files are sent whole, once per flush, not per epoch).
    if (event.type === 'batch' || event.type === 'epoch') {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.requestFlush();
      }, flushDelayMs);
    } else {
      void this.requestFlush();
    }
  }

  /** Sends everything that is left, the files of the finished folder included, then `end`. */
  async finish(): Promise<void> {
    this.cancelTimer();
    while (this.running !== null) await this.running;
    await this.flush(true);
  }

  /** Stops sending (after a failure, or when the worker stops): nothing more is sent, a send being retried gives up. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private requestFlush(): Promise<void> {
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.flush(false);
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async flush(final: boolean): Promise<void> {
    const entries: RecordEntry[] = [];
    if (!this.configSent && existsSync(join(this.folder, experimentFiles.config))) {
      entries.push(...this.wholeFile(experimentFiles.config));
      this.configSent = true;
    }
    const fresh = this.newBatchBytes();
    for (let start = 0; start < fresh.length; start += chunkBytes) {
      entries.push({ kind: 'append', attempt: this.attempt, offset: this.batchOffset + start, data: fresh.subarray(start, start + chunkBytes) });
    }
    if (this.epochsChanged || final) {
      this.epochsChanged = false;
      for (const file of [experimentFiles.epochs, experimentFiles.epochsCsv]) {
        if (existsSync(join(this.folder, file))) entries.push(...this.wholeFile(file));
      }
    }
    // A finished experiment keeps its last checkpoint (a diverged one has none).
    if (final && existsSync(join(this.folder, experimentFiles.checkpoint))) entries.push(...this.wholeFile(experimentFiles.checkpoint));
    if (this.events.length > 0) {
      entries.push({ kind: 'events', attempt: this.attempt, seq: this.seq++, events: this.events });
      this.events = [];
    }
    if (final) entries.push({ kind: 'end', attempt: this.attempt });
    if (entries.length === 0) return;
    await this.send(entries);
    this.batchOffset += fresh.length;
  }

  /** A file replaced whole, as `write` entries (read at once: it is renamed into place whole, so this is one version of it). */
  private wholeFile(file: string): RecordEntry[] {
    const data = readFileSync(join(this.folder, file));
    const entries: RecordEntry[] = [];
    for (let offset = 0; offset === 0 || offset < data.length; offset += chunkBytes) {
      const chunk = data.subarray(offset, offset + chunkBytes);
      entries.push({ kind: 'write', attempt: this.attempt, file, offset, data: chunk, last: offset + chunk.length >= data.length });
    }
    return entries;
  }

  /** What the batch stream holds past what was sent: `.partial` while training, `batches.jsonl` once renamed at the end. */
  private newBatchBytes(): Buffer {
    let fd: number;
    try {
      fd = openSync(join(this.folder, experimentFiles.batchesPartial), 'r');
    } catch {
      try {
        fd = openSync(join(this.folder, experimentFiles.batches), 'r');
      } catch {
        return Buffer.alloc(0);
      }
    }
    try {
      const size = fstatSync(fd).size;
      const fresh = Buffer.alloc(Math.max(0, size - this.batchOffset));
      let read = 0;
      while (read < fresh.length) {
        const count = readSync(fd, fresh, read, fresh.length - read, this.batchOffset + read);
        if (count === 0) break;
        read += count;
      }
      return fresh.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  }

  /** XADDs `entries` in order; on a failure, waits and sends them all again (the submitter skips repeats) until stopped. */
  private async send(entries: RecordEntry[]): Promise<void> {
    while (!this.stopped) {
      try {
        // One connection keeps them in order; sent together, they take one round trip.
        await Promise.all([
          ...entries.map((entry) => this.redis.xadd(this.key, '*', ...encodeEntry(entry))),
          this.redis.expire(this.key, streamIdleExpirySeconds),
        ]);
        return;
      } catch {
        await new Promise((done) => setTimeout(done, 1000));
      }
    }
  }
}
