/**
 * A private Redis for the queue's tests: Debian's `redis-server` on a free 127.0.0.1 port, with no
 * persistence, in its own temporary folder, stopped after. Without `redis-server` the tests skip
 * and say why, except with VANISHING_REQUIRE_REDIS=1 (.ci/run sets it), where that is a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
/** The redis-server binary, or null when it is not installed. */
export const redisServerPath: string | null = found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;

/** VANISHING_REQUIRE_REDIS=1: a missing redis-server fails the tests instead of skipping them. */
export const redisRequired = process.env.VANISHING_REQUIRE_REDIS === '1';

/** node:test's `skip`: the reason, or false to run (also when required: then the test fails on the missing binary). */
export const skipWithoutRedis: string | false = redisServerPath === null && !redisRequired ? 'redis-server is not installed (apt-get install redis-server)' : false;

export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:<port>/<db>, with the password when the server has one. */
  url(db?: number): string;
  /** Stops it (SIGKILL: the tests need no shutdown save); a later `start` brings it back on the same port, empty. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Starts a Redis; `password` sets --requirepass (the URL then carries it percent-encoded). */
export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  if (redisServerPath === null) throw new Error('VANISHING_REQUIRE_REDIS=1, but redis-server is not installed (apt-get install redis-server)');
  const binary = redisServerPath;
  const port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-redis-'));
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder, '--daemonize', 'no'];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    const server = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = server;
    await new Promise<void>((ready, fail) => {
      let output = '';
      const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${output}`)), 10_000);
      server.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          ready();
        }
      });
      server.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  };
  await start();
  const kill = async (): Promise<void> => {
    const server = child;
    child = null;
    if (server === null || server.exitCode !== null) return;
    const exited = new Promise((done) => server.once('exit', done));
    server.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: (db = 0) => `redis://${options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}/${db}`,
    start,
    kill,
    async stop() {
      await kill();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
