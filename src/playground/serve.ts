/**
 * `vanishing playground`: serves the built playground (dist/playground, `npm run playground`) on
 * this machine, static files only, through sirv. Node only.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/** The built playground: dist/playground of the package this file belongs to (src/ under tsx, dist/src/ when built). */
export function playgroundFolder(): string | null {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(folder, 'dist', 'playground');
    if (existsSync(join(folder, 'package.json')) && existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(folder);
    if (parent === folder) return null;
    folder = parent;
  }
}

export interface PlaygroundServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `folder` on host:port (port 0: any free one). */
export async function servePlayground(folder: string, options: { host: string; port: number }): Promise<PlaygroundServer> {
  // dev: false caches the file list; etag lets a reload skip unchanged files.
  const files = sirv(folder, { dev: false, etag: true });
  const server = createServer((request, response) => files(request, response, () => {
    response.statusCode = 404;
    response.end('not found');
  }));
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(options.port, options.host, () => listening());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}
