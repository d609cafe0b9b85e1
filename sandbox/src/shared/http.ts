import type { FastifyInstance } from 'fastify';

/** Listens on `port` (0 = any free port) and returns the http root, e.g. `http://127.0.0.1:41234`. */
export async function listen(app: FastifyInstance, port = 0, host = '127.0.0.1'): Promise<string> {
  await app.listen({ port, host });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('server has no TCP address');
  // 0.0.0.0 is not a reachable address for clients on this machine.
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shownHost}:${addr.port}`;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0) resolve();
    else setTimeout(resolve, ms).unref();
  });

/** Reads a response body, giving up once it grows past `maxBytes`. */
export async function readCapped(
  body: AsyncIterable<Uint8Array> | null,
  maxBytes: number,
): Promise<{ bytes: Uint8Array } | { tooBig: true }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (body === null) return { bytes: new Uint8Array() };
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) return { tooBig: true };
    chunks.push(chunk);
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks)) };
}
