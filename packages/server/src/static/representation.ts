/**
 * A cached file: its Content-Type and one representation per content coding (identity and the
 * precompressed siblings), each with its validators and header values computed once, and its
 * bytes when small enough to keep.
 */
import { open } from 'node:fs/promises';
import type { Coding } from './encoding.js';
import type { FoundFile } from './locate.js';
import { fileEtag, httpDateOf, lastModifiedSeconds } from './validators.js';

export interface Representation {
  readonly coding: Coding | null;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** The strong ETag, quoted. */
  readonly etag: string;
  /** Last-Modified in whole seconds, at most the second before it was computed (RFC 9110 8.8.2.1). */
  readonly lastModified: number;
  /** The Last-Modified header value. */
  readonly lastModifiedText: string;
  /** The whole file, when it is small enough to keep in memory; else null (streamed). */
  readonly body: Buffer | null;
}

export interface FileEntry {
  readonly contentType: string;
  readonly identity: Representation;
  /** The encoded siblings, in the server's order of preference. */
  readonly encoded: readonly Representation[];
  readonly codings: readonly Coding[];
  /** Body bytes held in memory by this entry. */
  readonly bytes: number;
  /** When its metadata was last checked against the file system (Date.now()). */
  checkedAt: number;
}

/** Builds the representation of one file; reads its bytes when it is at most `keepUpTo` bytes, reusing `previous`'s when unchanged. */
export async function representationOf(
  file: FoundFile,
  coding: Coding | null,
  keepUpTo: number,
  nowMs: number,
  previous: Representation | undefined,
): Promise<Representation> {
  let { size, mtimeMs } = file;
  let body: Buffer | null = null;
  if (size <= keepUpTo) {
    if (
      previous !== undefined &&
      previous.body !== null &&
      previous.path === file.path &&
      previous.size === size &&
      previous.mtimeMs === mtimeMs
    ) {
      body = previous.body;
    } else {
      // The bytes and their metadata from one open file, so the validators describe these bytes.
      const handle = await open(file.path, 'r');
      try {
        const stats = await handle.stat();
        size = stats.size;
        mtimeMs = stats.mtimeMs;
        if (size <= keepUpTo) {
          body = Buffer.allocUnsafeSlow(size);
          let filled = 0;
          while (filled < size) {
            const { bytesRead } = await handle.read(body, filled, size - filled, filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
          }
          // Shrank while being read: keep what is there and describe that.
          if (filled < size) {
            body = body.subarray(0, filled);
            size = filled;
          }
        }
      } finally {
        await handle.close();
      }
    }
  }
  return representationFor(file.path, coding, size, mtimeMs, nowMs, body);
}

export function representationFor(
  path: string,
  coding: Coding | null,
  size: number,
  mtimeMs: number,
  nowMs: number,
  body: Buffer | null,
): Representation {
  const lastModified = lastModifiedSeconds(mtimeMs, nowMs);
  return {
    coding,
    path,
    size,
    mtimeMs,
    etag: fileEtag(size, mtimeMs, coding),
    lastModified,
    lastModifiedText: httpDateOf(lastModified),
    body,
  };
}
