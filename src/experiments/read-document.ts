/**
 * An experiment file, from bytes on the disk to a plain JSON-like value, refusing everything that
 * would hang, exhaust memory or be read differently from what the user wrote: a FIFO or device
 * (reads forever), a file larger than any experiment file, invalid UTF-8, nesting deeper than any
 * experiment needs, YAML alias bombs, undefined or cyclic aliases, YAML 1.1 (where `e0` and `yes`
 * mean something else), duplicate keys in JSON (the last would silently win). Each problem is one
 * line naming the file (and the line and column where the parser knows them).
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { InputError } from './errors.js';

/** Experiment files are a few kilobytes; this bound only stops reading something that is not one. */
export const maximumDocumentBytes = 4 * 1024 * 1024;
/** An experiment file nests about 4 deep (experiments → item → section → field). */
export const maximumDocumentDepth = 32;
/** Anchors and aliases may share a section; more than this many alias uses is an attack, not a suite. */
export const maximumAliasCount = 100;

function fail(path: string, problem: string): never {
  throw new InputError([`${path}: ${problem}`]);
}

function readText(path: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(path, 'no such file');
    if (code === 'ENAMETOOLONG') fail(path, 'the file name is too long');
    fail(path, `cannot be read (${code ?? (error as Error).message})`);
  }
  if (stats.isDirectory()) fail(path, 'is a folder, not an experiment file');
  if (!stats.isFile()) fail(path, 'is not a regular file (a pipe, device or socket); give an experiment file');
  if (stats.size > maximumDocumentBytes) fail(path, `is ${(stats.size / 1024 / 1024).toFixed(1)} MB; an experiment file is at most ${maximumDocumentBytes / 1024 / 1024} MB`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    fail(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(path, 'is not UTF-8 text');
  }
  // TextDecoder drops a leading byte-order mark already; a second one (or one in a string) stays.
  return text;
}

/** 1-based line and column of character `offset` in `text`. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** The deepest bracket nesting of JSON text (strings skipped), without parsing it. */
function jsonDepth(text: string): { depth: number; offset: number } {
  let depth = 0;
  let deepest = { depth: 0, offset: 0 };
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      depth++;
      if (depth > deepest.depth) deepest = { depth, offset: i };
    } else if (c === ']' || c === '}') {
      depth--;
    }
  }
  return deepest;
}

function parseJson(path: string, text: string): unknown {
  const deepest = jsonDepth(text);
  if (deepest.depth > maximumDocumentDepth) fail(path, `${position(text, deepest.offset)}: nested ${deepest.depth} deep; an experiment file needs at most ${maximumDocumentDepth}`);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    fail(path, `not valid JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  // JSON.parse keeps the last of two equal keys; the YAML parser (JSON is YAML 1.2) finds them.
  const document = parseDocument(text, { uniqueKeys: true, schema: 'json', prettyErrors: false });
  const duplicate = document.errors.find((error) => error.code === 'DUPLICATE_KEY');
  if (duplicate !== undefined) {
    const quoted = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(duplicate.pos[0], duplicate.pos[0] + 4096))?.[0] ?? '"?"';
    fail(path, `${position(text, duplicate.pos[0])}: the key ${shorten(quoted)} appears twice in one object; the second would silently win`);
  }
  return value;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** The yaml library's "Unresolved alias (…): name" in the file's own terms. */
function unresolvedAlias(message: string): string {
  const name = /: (\S+)$/.exec(message.split('\n')[0])?.[1];
  return name === undefined ? message.split('\n')[0] : `the alias *${shorten(name)} is used, but no anchor &${shorten(name)} is set before it`;
}

function parseYaml(path: string, text: string): unknown {
  const directive = /^%YAML\s+(\S+)/m.exec(text);
  if (directive !== null && directive[1] !== '1.2') {
    fail(path, `%YAML ${shorten(directive[1])}: only YAML 1.2 is read (remove the directive; in 1.1 \`yes\`, \`e0\` and \`010\` mean other things)`);
  }
  let document;
  try {
    document = parseDocument(text, { uniqueKeys: true, prettyErrors: true, schema: 'core', version: '1.2' });
  } catch (error) {
    if (error instanceof RangeError) fail(path, `nested too deeply; an experiment file needs at most ${maximumDocumentDepth} levels`);
    throw error;
  }
  if (document.errors.length > 0) {
    throw new InputError(document.errors.map((error) => {
      const where = error.linePos?.[0] !== undefined ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : '';
      // prettyErrors appends " at line L, column C:" and a code excerpt; the position is said once, up front.
      const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return `${path}: ${where}${message}`;
    }));
  }
  try {
    return document.toJS({ maxAliasCount: maximumAliasCount }) as unknown;
  } catch (error) {
    if (error instanceof RangeError) fail(path, `nested too deeply; an experiment file needs at most ${maximumDocumentDepth} levels`);
    if (error instanceof ReferenceError) {
      const message = error.message.startsWith('Excessive alias count')
        ? `aliases expand to too many copies (more than ${maximumAliasCount} alias uses); an alias bomb is not an experiment file`
        : unresolvedAlias(error.message);
      fail(path, message);
    }
    throw error;
  }
}

/**
 * Where a value nests deeper than `maximumDocumentDepth` or refers to itself (a cyclic YAML
 * alias): the path to it, or null. Iterative, so a deep value cannot overflow the stack here.
 */
function structureProblem(value: unknown): string | null {
  const stack: { node: unknown; path: string; depth: number; ancestors: Set<unknown> }[] = [{ node: value, path: '', depth: 0, ancestors: new Set() }];
  while (stack.length > 0) {
    const { node, path, depth, ancestors } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const where = path === '' ? 'the top level' : path;
    if (ancestors.has(node)) return `${where}: an alias refers to a value that contains it (cyclic)`;
    if (depth >= maximumDocumentDepth) return `${where}: nested more than ${maximumDocumentDepth} deep`;
    const inner = new Set(ancestors).add(node);
    const entries = Array.isArray(node) ? node.map((item, index) => [`[${index}]`, item] as const) : Object.entries(node).map(([key, item]) => [path === '' ? shorten(key) : `.${shorten(key)}`, item] as const);
    for (const [step, item] of entries) stack.push({ node: item, path: `${path}${step}`, depth: depth + 1, ancestors: inner });
  }
  return null;
}

/** Reads and parses an experiment file (`.json` as JSON, anything else as YAML 1.2). */
export function readDocument(path: string): unknown {
  const text = readText(path);
  const value = extname(path).toLowerCase() === '.json' ? parseJson(path, text) : parseYaml(path, text);
  const problem = structureProblem(value);
  if (problem !== null) fail(path, problem);
  return value;
}
