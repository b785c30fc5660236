/**
 * The records of a job travel from the worker to the submitter through one Redis stream per job
 * (queue-names.ts recordStreamKey), no shared file system needed. Every entry is tagged with the
 * attempt that wrote it: a token drawn afresh each time a worker starts the job, so when a worker
 * dies and another takes the job over, the submitter tells the two attempts' records apart and
 * keeps only the attempt the completed job names.
 *
 * Entries, in the order an attempt writes them:
 *   hello    the attempt starts, on this worker
 *   append   bytes of the batch stream at a byte offset (batches.jsonl grows; nothing is rewritten)
 *   write    a chunk of a file that is replaced whole (config.json, the epoch files, checkpoint.bin)
 *            at a byte offset; `last` on the final chunk
 *   events   progress events (start, batch, epoch, notice), numbered
 *   end      the attempt wrote everything; its job completes next
 *   refused  a worker of another version did not run the job (no attempt)
 * Offsets and numbers make every entry idempotent: an entry written twice (a command resent after
 * a lost connection) is recognised and skipped.
 */
import type { ExperimentEvent } from '../experiments/run-experiment.js';
import { experimentFiles } from '../record/run-format.js';

/** The batch stream's name in the worker's finished folder (it streams into `.partial` on both sides). */
export const streamedFile = experimentFiles.batches;

/** Files replaced whole, the only names a `write` entry may carry (no entry can name a path outside the experiment's folder). */
export const wholeFiles: readonly string[] = [experimentFiles.config, experimentFiles.epochs, experimentFiles.epochsCsv, experimentFiles.checkpoint];

/** At most this many bytes per entry: a large file travels in several. */
export const chunkBytes = 1 << 20;

export type RecordEntry =
  | { kind: 'hello'; attempt: string; worker: string }
  | { kind: 'append'; attempt: string; offset: number; data: Buffer }
  | { kind: 'write'; attempt: string; file: string; offset: number; data: Buffer; last: boolean }
  | { kind: 'events'; attempt: string; seq: number; events: ExperimentEvent[] }
  | { kind: 'end'; attempt: string }
  | { kind: 'refused'; worker: string; reason: string };

/** The entry as XADD's field–value list. */
export function encodeEntry(entry: RecordEntry): (string | Buffer)[] {
  switch (entry.kind) {
    case 'hello': return ['kind', 'hello', 'attempt', entry.attempt, 'worker', entry.worker];
    case 'append': return ['kind', 'append', 'attempt', entry.attempt, 'offset', String(entry.offset), 'data', entry.data];
    case 'write': return ['kind', 'write', 'attempt', entry.attempt, 'file', entry.file, 'offset', String(entry.offset), 'last', entry.last ? '1' : '0', 'data', entry.data];
    case 'events': return ['kind', 'events', 'attempt', entry.attempt, 'seq', String(entry.seq), 'events', JSON.stringify(entry.events)];
    case 'end': return ['kind', 'end', 'attempt', entry.attempt];
    case 'refused': return ['kind', 'refused', 'worker', entry.worker, 'reason', entry.reason];
  }
}

const eventTypes = new Set(['start', 'batch', 'notice', 'epoch', 'done']);

function isEvent(value: unknown): value is ExperimentEvent {
  const event = value as { type?: unknown; experiment?: unknown } | null;
  return event !== null && typeof event === 'object' && typeof event.type === 'string' && eventTypes.has(event.type) && typeof event.experiment === 'string';
}

function wholeNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}

/**
 * An entry from XREAD/XRANGE's field–value list, or null when it is not one this version knows
 * (a newer worker's entry, or damage): such an entry is skipped, and a file it would have
 * completed fails the final check instead.
 */
export function decodeEntry(fields: readonly Buffer[]): RecordEntry | null {
  const values = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i].toString('utf8'), fields[i + 1]);
  const text = (name: string): string | undefined => values.get(name)?.toString('utf8');
  const attempt = text('attempt');
  const kind = text('kind');
  if (kind === 'refused') {
    const worker = text('worker');
    const reason = text('reason');
    return worker !== undefined && reason !== undefined ? { kind, worker, reason } : null;
  }
  if (attempt === undefined || attempt === '') return null;
  switch (kind) {
    case 'hello': {
      const worker = text('worker');
      return worker !== undefined ? { kind, attempt, worker } : null;
    }
    case 'append': {
      const offset = wholeNumber(text('offset'));
      const data = values.get('data');
      return offset !== null && data !== undefined ? { kind, attempt, offset, data } : null;
    }
    case 'write': {
      const file = text('file');
      const offset = wholeNumber(text('offset'));
      const data = values.get('data');
      if (file === undefined || !wholeFiles.includes(file) || offset === null || data === undefined) return null;
      return { kind, attempt, file, offset, data, last: text('last') === '1' };
    }
    case 'events': {
      const seq = wholeNumber(text('seq'));
      let events: unknown;
      try {
        events = JSON.parse(text('events') ?? '');
      } catch {
        return null;
      }
      return seq !== null && Array.isArray(events) && events.every(isEvent) ? { kind, attempt, seq, events } : null;
    }
    case 'end': return { kind, attempt };
    default: return null;
  }
}

/** One entry as Redis returned it: its id and fields. */
export interface StreamEntry {
  id: string;
  fields: Buffer[];
}

/**
 * The entries of an XREAD or XRANGE reply (`callBuffer`: buffers throughout) by stream key.
 * XRANGE returns one stream's entries; XREAD a list of [key, entries] (null: nothing new).
 */
export function readReplyEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: StreamEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || item.length !== 2 || !Buffer.isBuffer(item[0]) || !Array.isArray(item[1])) continue;
    const fields = item[1] as unknown[];
    if (fields.every((field) => Buffer.isBuffer(field))) entries.push({ id: item[0].toString('utf8'), fields: fields as Buffer[] });
  }
  return entries;
}

/**
 * XREAD's reply by stream key. Over RESP2 it is a list of [key, entries] pairs; over RESP3 (ioredis's
 * default, its replies mapped to the RESP2 shapes) a map, which arrives flat: key, entries, key, ….
 */
export function readStreamsReply(reply: unknown): Map<string, StreamEntry[]> {
  const streams = new Map<string, StreamEntry[]>();
  if (!Array.isArray(reply)) return streams;
  const pairs: unknown[][] = Buffer.isBuffer(reply[0])
    ? Array.from({ length: Math.floor(reply.length / 2) }, (_, index) => [reply[2 * index], reply[2 * index + 1]])
    : reply.filter((stream): stream is unknown[] => Array.isArray(stream));
  for (const [key, entries] of pairs) {
    if (Buffer.isBuffer(key)) streams.set(key.toString('utf8'), readReplyEntries(entries));
  }
  return streams;
}
