/**
 * Where the queue is: a Redis URL (`redis://[user:password@]host[:port][/db]`, or `rediss://` for
 * TLS) read into connection options, and the same URL as it may be shown. A password never leaves
 * this file except inside the options handed to the Redis client: every line a user sees names the
 * server with `redactUrl` or `describeTarget` (password as `***`), and `scrubSecret` takes it out of
 * any text that came back from elsewhere (a client's error message), in case it was echoed.
 */
import { InputError } from '../experiments/errors.js';
import { isIP } from 'node:net';

/** A Redis server and database, as the URL named them. */
export interface RedisTarget {
  tls: boolean;
  host: string;
  port: number;
  /** ACL user (Redis 6+); absent: the default user. */
  username?: string;
  password?: string;
  db: number;
}

const defaultPort = 6379;
const urlShape = 'redis://[user:password@]host[:port][/db] or rediss://… for TLS';

/**
 * `url` with its password replaced by `***`. Works on any text, a URL that does not parse
 * included (it is what an error line shows): the user information is everything between `//` and
 * the last `@` before the path, and the password is what follows its first `:`.
 */
export function redactUrl(url: string): string {
  const schemeEnd = url.indexOf('//');
  const authorityStart = schemeEnd === -1 ? 0 : schemeEnd + 2;
  const at = url.lastIndexOf('@');
  if (at < authorityStart) return url;
  const userInfo = url.slice(authorityStart, at);
  const colon = userInfo.indexOf(':');
  if (colon === -1) return url;
  return `${url.slice(0, authorityStart)}${userInfo.slice(0, colon)}:***${url.slice(at)}`;
}

/** Reads a Redis URL; anything else is an input error naming the (redacted) URL and the expected shape. */
export function parseRedisUrl(url: string, option = '--queue'): RedisTarget {
  const problem = (why: string): InputError => new InputError([`${option}: ${JSON.stringify(redactUrl(url))} ${why} (expected ${urlShape})`]);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw problem('is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw problem(`is not a Redis URL (scheme ${parsed.protocol.replace(/:$/, '')})`);
  if (parsed.hostname === '') throw problem('names no host');
  if (parsed.search !== '' || parsed.hash !== '') throw problem('has a query or fragment, which vanishing does not read');
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) throw problem(`has the path /${dbText}: a database number is a whole number`);
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
    password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  } catch {
    throw problem('has a user or password that is not valid percent-encoding');
  }
  return {
    tls: parsed.protocol === 'rediss:',
    // An IPv6 address is written in brackets in a URL, without them to a socket.
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db: dbText === '' ? 0 : Number(dbText),
  };
}

/** The server as a user may see it: `redis://host:port` (`/db` when not 0), the password as `***`. */
export function describeTarget(target: RedisTarget): string {
  const user = target.username ?? '';
  const credentials = target.password !== undefined ? `${user}:***@` : user !== '' ? `${user}@` : '';
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.tls ? 'rediss' : 'redis'}://${credentials}${host}:${target.port}${target.db !== 0 ? `/${target.db}` : ''}`;
}

/** `text` with the target's password (as written and percent-encoded) replaced by `***`. */
export function scrubSecret(text: string, target: RedisTarget): string {
  const secret = target.password;
  if (secret === undefined || secret === '') return text;
  return [secret, encodeURIComponent(secret)].reduce((scrubbed, form) => scrubbed.split(form).join('***'), text);
}

/** What ioredis and BullMQ (which makes its own ioredis clients) are given: a plain object both accept. */
export interface ClientOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: { servername?: string };
  maxRetriesPerRequest: null;
  enableOfflineQueue: boolean;
  retryStrategy: (times: number) => number;
}

/**
 * Options for an ioredis client (and BullMQ, which makes its own from them). Commands never give
 * up while the server is away (`maxRetriesPerRequest: null`, the offline queue on): a run waits
 * for Redis to come back rather than losing work, and BullMQ's workers require it.
 */
export function clientOptions(target: RedisTarget): ClientOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    // SNI names a host; an IP address is checked against the certificate without it (RFC 6066).
    ...(target.tls ? { tls: isIP(target.host) === 0 ? { servername: target.host } : {} } : {}),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    // Reconnect soon after an outage, but do not hammer a server that is down: at most every 2 s.
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}
