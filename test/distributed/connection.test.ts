/**
 * Redis URLs: what is read from them, and that a password never shows — not in the lines that
 * name the server, not in the error line of a URL that does not parse, not through the command
 * line (exit 2, one line). Needs no Redis.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeTarget, parseRedisUrl, redactUrl, scrubSecret } from '../../src/distributed/connection.js';
import { InputError } from '../../src/experiments/errors.js';
import { runCli } from '../cli/run-cli.js';

test('redis:// and rediss:// URLs give host, port, user, password, database and TLS', () => {
  assert.deepEqual(parseRedisUrl('redis://localhost'), { tls: false, host: 'localhost', port: 6379, db: 0 });
  assert.deepEqual(parseRedisUrl('rediss://alice:p%40ss%3Aw%2Frd@cache.example:6380/3'), {
    tls: true, host: 'cache.example', port: 6380, username: 'alice', password: 'p@ss:w/rd', db: 3,
  });
  assert.deepEqual(parseRedisUrl('redis://:only-a-password@[::1]:7000'), { tls: false, host: '::1', port: 7000, password: 'only-a-password', db: 0 });
});

test('a server is shown with its password as ***, and a password is scrubbed from any text', () => {
  const target = parseRedisUrl('redis://alice:s3cret@10.0.0.5:6379/2');
  assert.equal(describeTarget(target), 'redis://alice:***@10.0.0.5:6379/2');
  assert.equal(describeTarget(parseRedisUrl('redis://[::1]')), 'redis://[::1]:6379');
  assert.equal(scrubSecret('AUTH s3cret failed', target), 'AUTH *** failed');
  assert.equal(redactUrl('redis://alice:s3cret@host:6379/0'), 'redis://alice:***@host:6379/0');
  // A password holding `@` or `/` (not percent-encoded: not a valid URL) is still hidden whole.
  assert.equal(redactUrl('redis://:pa@ss/wd@host'), 'redis://:***@host');
  assert.equal(redactUrl('redis://host:6379'), 'redis://host:6379');
});

test('a URL that is not a Redis URL is an input error naming it without its password', () => {
  const problems = (url: string): string => {
    try {
      parseRedisUrl(url);
    } catch (error) {
      assert.ok(error instanceof InputError);
      return error.problems.join('\n');
    }
    throw new Error(`${url} was accepted`);
  };
  assert.match(problems('http://user:hunter2@host'), /^--queue: "http:\/\/user:\*\*\*@host" is not a Redis URL \(scheme http\)/);
  assert.match(problems('redis://:hunter2@host:notaport'), /^--queue: "redis:\/\/:\*\*\*@host:notaport" is not a URL/);
  assert.match(problems('redis://:hunter2@host/x'), /a database number is a whole number/);
  for (const url of ['http://user:hunter2@host', 'redis://:hunter2@host:notaport', 'redis://:hunter2@host/x']) assert.doesNotMatch(problems(url), /hunter2/);
});

test('the command line refuses a bad queue URL with one line, exit 2, no password, nothing written', () => {
  const root = mkdtempSync(join(tmpdir(), 'vanishing-queue-url-'));
  try {
    const run = runCli(['run', 'quick', '--queue', 'http://:hunter2@host', '--out', 'runs'], { cwd: root });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /--queue: "http:\/\/:\*\*\*@host" is not a Redis URL/);
    const worker = runCli(['worker', 'redis://:hunter2@host:port'], { cwd: root });
    assert.equal(worker.status, 2, worker.stderr);
    assert.match(worker.stderr, /^vanishing: worker: "redis:\/\/:\*\*\*@host:port" is not a URL/);
    const both = runCli(['run', 'quick', '--queue', 'redis://localhost', '--workers', '2'], { cwd: root });
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--queue: the experiments train on the queue's workers/);
    for (const result of [run, worker, both]) assert.doesNotMatch(result.stdout + result.stderr, /hunter2/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
