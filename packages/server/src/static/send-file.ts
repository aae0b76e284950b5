import type { FileHandle } from 'node:fs/promises';
import { PercoreError } from '../errors.js';
import type { HttpResponse } from '../http/api.js';

/**
 * Streams bytes start..end (inclusive) of an open file, chunk by chunk, waiting for `drain()`
 * whenever `write()` says the client is behind: that is what keeps a slow reader's memory at a
 * chunk or two (net maps it to socket write/drain, uws to tryEnd/onWritable). Content-Length must
 * be set already. Stops quietly when the client goes away.
 *
 * A file that shrinks while it is sent cannot fill the length the head promised: that throws
 * PERCORE_ERR_FILE_CHANGED once the head is out, and the engine cuts the connection, so a short
 * body never looks complete. Each chunk is a fresh buffer: `write()` may keep a reference to
 * what it is given until the socket takes it, so a reused buffer could be overwritten in flight.
 * The caller closes the handle.
 */
export async function sendFileRange(res: HttpResponse, handle: FileHandle, start: number, end: number, chunkSize: number): Promise<void> {
  let position = start;
  const stop = end + 1;
  while (position < stop) {
    if (res.aborted) return;
    const length = Math.min(chunkSize, stop - position);
    const chunk = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(chunk, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (res.aborted) return;
    if (filled < length) {
      // Send what there is, so the head is surely out, then fail: the engine cuts the connection.
      if (filled > 0) res.write(chunk.subarray(0, filled));
      else if (!res.headersSent) res.write(new Uint8Array(0));
      throw new PercoreError('PERCORE_ERR_FILE_CHANGED', `${stop - position - filled} bytes short at offset ${position + filled}`);
    }
    position += length;
    if (position === stop) {
      res.end(chunk);
      return;
    }
    if (!res.write(chunk)) await res.drain();
  }
  res.end();
}
