/**
 * What a user is told when the Redis server goes away and comes back: one line when it becomes
 * unreachable ("…; retrying…"), one when it is back, nothing in between however often the client
 * retries. The client itself keeps retrying (connection.ts: commands wait for the server), so
 * nothing is lost; this only says why the run seems to stand still.
 */
import type { Redis } from 'ioredis';

/**
 * Follows `client`'s connection and calls `say` once per outage and once per recovery. Returns
 * the function to call before closing the client on purpose (a closed connection is then no outage).
 */
export function reportOutages(client: Redis, where: string, say: (line: string) => void): () => void {
  let unreachable = false;
  let closing = false;
  // An 'error' listener is also what keeps ioredis from printing every failed reconnection.
  client.on('error', (error: unknown) => {
    if (unreachable || closing) return;
    unreachable = true;
    const code = (error as { code?: unknown }).code;
    say(`Redis at ${where} unreachable${typeof code === 'string' ? ` (${code})` : ''}; retrying…`);
  });
  client.on('close', () => {
    if (unreachable || closing) return;
    unreachable = true;
    say(`Redis at ${where} unreachable (connection closed); retrying…`);
  });
  client.on('ready', () => {
    if (!unreachable) return;
    unreachable = false;
    say(`Redis at ${where} reachable again; continuing`);
  });
  return () => {
    closing = true;
  };
}
