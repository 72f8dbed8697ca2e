// A request sent on a kept-alive connection that the storage server closed at that moment fails
// with ECONNRESET ("socket hang up") before the server saw it. Node's documentation says to retry
// exactly that case; a storage client (the node agent's included) retries it as a network error,
// so the emulator must not turn it into a task failure.
import type { ClientRequest } from 'node:http';

/** How many times a request lost to a closing kept-alive connection is sent again. */
export const STALE_SOCKET_RETRIES = 3;

const STALE = Symbol('stale-socket');

/** Marks an error of `req` when it is the closing kept-alive connection's (call on 'error'). */
export function markStaleSocket(req: ClientRequest, err: Error): Error {
  if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
    (err as Error & { [STALE]?: boolean })[STALE] = true;
  }
  return err;
}

export function isStaleSocket(err: unknown): boolean {
  return err instanceof Error && (err as Error & { [STALE]?: boolean })[STALE] === true;
}
