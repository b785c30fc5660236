/**
 * The first thing a submitter or worker asks the server: whether it lets us in. A wrong password
 * or user is bad input (one line, exit 2) rather than an endless retry; a server that is not
 * there yet is waited for (the client retries, outage-notice.ts says so).
 */
import type { Redis } from 'ioredis';
import { InputError } from '../experiments/errors.js';
import type { RedisTarget } from './connection.js';
import { describeTarget, scrubSecret } from './connection.js';

const refusedCredentials = /NOAUTH|WRONGPASS|invalid password|invalid username|NOPERM/i;

/** Resolves once the server answers; an input error (naming `option`) when it refuses the credentials. */
export async function checkCredentials(client: Redis, target: RedisTarget, option: string): Promise<void> {
  const refused = (message: string): InputError => new InputError([
    `${option}: Redis at ${describeTarget(target)} refused the connection: ${scrubSecret(message, target)} (check the user and password in the URL)`,
  ]);
  let onError: (error: unknown) => void = () => {};
  // ioredis reports a refused AUTH as a connection error and keeps reconnecting: the PING would wait for ever.
  const authFailure = new Promise<never>((_, fail) => {
    onError = (error) => {
      const message = error instanceof Error ? error.message : String(error);
      if (refusedCredentials.test(message)) fail(refused(message));
    };
    client.on('error', onError);
  });
  try {
    await Promise.race([client.ping(), authFailure]);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (refusedCredentials.test(message)) throw refused(message);
    throw error;
  } finally {
    client.off('error', onError);
  }
}
