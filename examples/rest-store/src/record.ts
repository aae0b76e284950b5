/**
 * The store's log format. A file starts with the 8-byte magic `PRSTLOG1`, then records:
 *
 *   u32 BE payload length | u32 BE crc32(payload) | payload
 *
 * The payload is UTF-8 JSON: `["put", id, valueJsonText]` or `["del", id]`. A record is only
 * ever appended whole, so on recovery a short header, a short payload or a checksum mismatch can
 * only be the torn tail of the last append (a crash inside write()): it and everything after it
 * is dropped, and the records before it are the state.
 */
import { crc32 } from 'node:zlib';

export const MAGIC = Buffer.from('PRSTLOG1', 'latin1');
export const HEADER_BYTES = 8;
/** A record is at most this long (ids and values are bounded far below it); a longer length is a torn or damaged header. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export type LogOp = { op: 'put'; id: string; value: string } | { op: 'del'; id: string };

export function encodeRecord(entry: LogOp): Buffer {
  const payload = Buffer.from(JSON.stringify(entry.op === 'put' ? ['put', entry.id, entry.value] : ['del', entry.id]), 'utf8');
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.writeUInt32BE(crc32(payload), 4);
  payload.copy(record, HEADER_BYTES);
  return record;
}

function decodePayload(payload: Buffer): LogOp | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || typeof parsed[1] !== 'string') return null;
  if (parsed[0] === 'put' && parsed.length === 3 && typeof parsed[2] === 'string') return { op: 'put', id: parsed[1], value: parsed[2] };
  if (parsed[0] === 'del' && parsed.length === 2) return { op: 'del', id: parsed[1] };
  return null;
}

export interface Recovered {
  /** id → value JSON text, in the order the ids were first written. */
  readonly items: Map<string, string>;
  /** Records applied. */
  readonly records: number;
  /** Bytes of the file that hold whole, valid records (magic included). */
  readonly validBytes: number;
  /** Bytes dropped after them: a torn tail (0 for a clean file). */
  readonly droppedBytes: number;
  /** Why the tail was dropped, when it was. */
  readonly reason?: string;
  /** The file does not start with the magic: not a store log, so it must not be overwritten. */
  readonly foreign: boolean;
}

/** Replays a whole log file's bytes. Never throws: an unreadable part ends the log there. */
export function recover(file: Buffer): Recovered {
  const items = new Map<string, string>();
  const head = file.subarray(0, MAGIC.length);
  if (!head.equals(MAGIC.subarray(0, head.length))) {
    return { items, records: 0, validBytes: 0, droppedBytes: file.length, reason: 'not a store log (bad magic)', foreign: true };
  }
  // An empty file, or one torn inside its magic, was never given a record.
  if (file.length < MAGIC.length) {
    return {
      items,
      records: 0,
      validBytes: 0,
      droppedBytes: file.length,
      reason: file.length === 0 ? undefined : 'torn magic',
      foreign: false,
    };
  }
  let offset = MAGIC.length;
  let records = 0;
  let reason: string | undefined;
  while (offset < file.length) {
    if (file.length - offset < HEADER_BYTES) {
      reason = 'torn record header';
      break;
    }
    const length = file.readUInt32BE(offset);
    const checksum = file.readUInt32BE(offset + 4);
    if (length > MAX_PAYLOAD_BYTES) {
      reason = `record length ${length} over the bound`;
      break;
    }
    const end = offset + HEADER_BYTES + length;
    if (end > file.length) {
      reason = 'torn record payload';
      break;
    }
    const payload = file.subarray(offset + HEADER_BYTES, end);
    const entry = crc32(payload) === checksum ? decodePayload(payload) : null;
    if (entry === null) {
      reason = 'record checksum mismatch';
      break;
    }
    if (entry.op === 'put') items.set(entry.id, entry.value);
    else items.delete(entry.id);
    records++;
    offset = end;
  }
  return { items, records, validBytes: offset, droppedBytes: file.length - offset, reason, foreign: false };
}
