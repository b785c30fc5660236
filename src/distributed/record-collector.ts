/**
 * The submitter's half of record-stream.ts, for one experiment: writes what its job's stream
 * brings into the experiment's folder of the run as it arrives (the batch stream into
 * `batches.jsonl.partial`, whole files atomically), passes the progress events on, and, when the
 * job completes, makes the folder exactly the winning attempt's records before summary.json is
 * written last.
 *
 * When a second attempt starts (the worker of the first died and another took the job over), the
 * folder is emptied and the second attempt's records written from the start: what the dead one
 * sent is discarded. Entries of any attempt but the current one are skipped. At the end the
 * completed job names its attempt and every file's size and SHA-256; if the folder does not hold
 * exactly those bytes (an entry lost, or a stray attempt that looked current), it is rebuilt from
 * the whole stream, keeping the winning attempt's entries only, and checked again.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentEvent } from '../experiments/run-experiment.js';
import type { ExperimentOutcome } from '../experiments/run-suite.js';
import { writeAll, writeFileAtomically } from '../record/atomic-file.js';
import type { ExperimentSummary } from '../record/metrics.js';
import { makeFolder } from '../record/output-folder.js';
import { readSummaryFile } from '../record/run-folder-read.js';
import { experimentFiles } from '../record/run-format.js';
import type { ExperimentJobResult } from './job-data.js';
import type { RecordEntry } from './record-stream.js';
import { streamedFile } from './record-stream.js';

export interface CollectorHooks {
  onEvent(event: ExperimentEvent): void;
}

/** A file being received in chunks: its bytes so far, and whether its last chunk came (then it is on the disk). */
interface IncomingFile {
  chunks: Buffer[];
  bytes: number;
  written: boolean;
}

export class ExperimentCollector {
  /** The attempt whose records the folder holds (null before the first `hello`). */
  private attempt: string | null = null;
  private worker: string | null = null;
  /** The last stream entry read (XREAD continues after it). */
  lastId = '0-0';
  /** The current attempt said it sent everything: its job completes next. */
  ended = false;
  private batchFd: number | null = null;
  private batchBytes = 0;
  private readonly incoming = new Map<string, IncomingFile>();
  private lastSeq = -1;
  /** Why the folder cannot be the attempt's records as received (a gap in the stream), or null. */
  private gap: string | null = null;
  /** While rebuilding from the whole stream: no events, no notices. */
  private replaying = false;

  constructor(private readonly outcome: ExperimentOutcome, private readonly hooks: CollectorHooks) {}

  private get partialPath(): string {
    return join(this.outcome.folder, experimentFiles.batchesPartial);
  }

  private notice(message: string): void {
    if (!this.replaying) this.hooks.onEvent({ type: 'notice', experiment: this.outcome.name, message });
  }

  /** Writes one entry of the job's stream into the folder. */
  apply(entry: RecordEntry): void {
    if (entry.kind === 'refused') return;
    if (entry.kind === 'hello') {
      if (entry.attempt !== this.attempt) this.startAttempt(entry.attempt, entry.worker);
      return;
    }
    if (entry.attempt !== this.attempt) return;
    switch (entry.kind) {
      case 'append': this.append(entry.offset, entry.data); break;
      case 'write': this.write(entry.file, entry.offset, entry.data, entry.last); break;
      case 'events':
        // Numbered: a batch of events sent twice (after a lost connection) is shown once.
        if (entry.seq <= this.lastSeq || this.replaying) break;
        this.lastSeq = entry.seq;
        for (const event of entry.events) {
          if (event.experiment === this.outcome.name && event.type !== 'done') this.hooks.onEvent(event);
        }
        break;
      case 'end': this.ended = true; break;
    }
  }

  /** A new attempt: the folder starts again empty (the earlier attempt's records are discarded). */
  private startAttempt(attempt: string, worker: string): void {
    const previous = this.worker;
    this.closeBatches();
    rmSync(this.outcome.folder, { recursive: true, force: true });
    makeFolder(this.outcome.folder);
    this.batchFd = openSync(this.partialPath, 'w');
    this.attempt = attempt;
    this.worker = worker;
    this.batchBytes = 0;
    this.incoming.clear();
    this.lastSeq = -1;
    this.gap = null;
    this.ended = false;
    const again = 'what it recorded is discarded and the experiment trains again from the start';
    this.notice(previous === null ? `running on ${worker}`
      : previous === worker ? `started again on ${worker}: its earlier attempt lost the job (its lock ran out, e.g. while Redis was away); ${again}`
        : `taken over by ${worker}: the attempt on ${previous} did not finish (its worker died or was stopped); ${again}`);
  }

  private append(offset: number, data: Buffer): void {
    const end = offset + data.length;
    // Already here (sent twice), or after a gap this folder cannot fill.
    if (end <= this.batchBytes || this.batchFd === null) return;
    if (offset > this.batchBytes) {
      this.gap ??= `${streamedFile}: bytes from ${this.batchBytes} to ${offset} never arrived`;
      return;
    }
    writeAll(this.batchFd, data.subarray(this.batchBytes - offset), this.partialPath);
    this.batchBytes = end;
  }

  private write(file: string, offset: number, data: Buffer, last: boolean): void {
    let incoming = this.incoming.get(file);
    if (offset === 0) {
      // A file's next version (or its first chunk again).
      incoming = { chunks: [], bytes: 0, written: false };
      this.incoming.set(file, incoming);
    } else if (incoming !== undefined && offset + data.length <= incoming.bytes) {
      return; // sent twice
    } else if (incoming === undefined || incoming.written || offset !== incoming.bytes) {
      this.gap ??= `${file}: a chunk at byte ${offset} does not follow the ones before`;
      return;
    }
    incoming.chunks.push(data);
    incoming.bytes += data.length;
    if (!last) return;
    writeFileAtomically(join(this.outcome.folder, file), Buffer.concat(incoming.chunks));
    incoming.chunks = [];
    incoming.written = true;
  }

  /** Why the folder does not hold exactly the files `result` lists, or null when it does. */
  private mismatch(result: ExperimentJobResult): string | null {
    if (this.attempt !== result.attempt) return `it holds attempt ${this.attempt ?? 'none'}, the job was completed by attempt ${result.attempt}`;
    if (this.gap !== null) return this.gap;
    for (const [file, expected] of Object.entries(result.files)) {
      const path = file === streamedFile ? this.partialPath : join(this.outcome.folder, file);
      if (!existsSync(path)) return `${file} is missing`;
      const data = readFileSync(path);
      if (data.length !== expected.bytes) return `${file} has ${data.length} bytes, the worker wrote ${expected.bytes}`;
      if (createHash('sha256').update(data).digest('hex') !== expected.sha256) return `${file} differs from what the worker wrote (SHA-256)`;
    }
    return null;
  }

  /**
   * The job completed with `result`: makes the folder the winning attempt's records (rebuilt from
   * `wholeStream` when they do not match), then completes it as a local run does — batches.jsonl
   * renamed whole, summary.json written last — and returns the summary. Throws when the stream
   * cannot give the records the job reports.
   */
  async complete(result: ExperimentJobResult, wholeStream: () => Promise<RecordEntry[]>): Promise<ExperimentSummary> {
    if (this.mismatch(result) !== null) {
      this.replaying = true;
      try {
        this.attempt = null;
        for (const entry of await wholeStream()) {
          if (entry.kind !== 'refused' && entry.attempt === result.attempt) this.apply(entry);
        }
      } finally {
        this.replaying = false;
      }
      const still = this.mismatch(result);
      if (still !== null) throw new Error(`the records in Redis are not the ones the worker (${result.worker}) wrote: ${still}`);
    }
    if (this.batchFd !== null) fsyncSync(this.batchFd);
    this.closeBatches();
    renameSync(this.partialPath, join(this.outcome.folder, experimentFiles.batches));
    writeFileAtomically(join(this.outcome.folder, experimentFiles.summary), result.summaryJson);
    return readSummaryFile(this.outcome.folder);
  }

  /** Releases the batch stream's file. */
  closeBatches(): void {
    if (this.batchFd !== null) closeSync(this.batchFd);
    this.batchFd = null;
  }
}
