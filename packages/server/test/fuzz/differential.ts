/**
 * Compares percore's parser with llhttp's on the same bytes: message framing (how many messages,
 * where each body ends, chunked or by length), the request line, keep-alive, and whether the
 * input is accepted or refused. Both streams are cut after the first message that ends the
 * connection (Connection: close, HTTP/1.0 without keep-alive) or switches protocols: neither
 * server reads HTTP past it, and llhttp refuses bytes there (HPE_CLOSED_CONNECTION) that percore
 * leaves unread.
 */
import type { LlhttpMessage, LlhttpTrace } from './llhttp-trace.js';
import type { Trace, TracedMessage } from './percore-trace.js';

export interface Divergence {
  /** A stable name for the kind of difference, e.g. 'percore refuses: PERCORE_ERR_INVALID_HOST'. */
  kind: string;
  /** The message index where the streams part. */
  index: number;
  percore: TracedMessage | undefined;
  llhttp: LlhttpMessage | undefined;
  percoreError: string | null;
  llhttpError: string | null;
}

interface Cut<M> {
  messages: M[];
  error: string | null;
}

/**
 * Messages up to and including the first complete one that ends HTTP on the connection; errors
 * after it drop.
 */
function cut<M extends { complete: boolean; keepAlive: boolean; upgrade: boolean }>(messages: M[], error: string | null): Cut<M> {
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.complete && (message.upgrade || !message.keepAlive)) return { messages: messages.slice(0, i + 1), error: null };
  }
  return { messages, error };
}

function hasField(headers: readonly string[], name: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return true;
  return false;
}

/** The first field in which two messages differ, or null. */
function differingField(p: TracedMessage, l: LlhttpMessage): string | null {
  if (p.method !== l.method) return 'method';
  if (p.target !== l.target) return 'target';
  if (l.versionMajor !== 1 || p.versionMinor !== l.versionMinor) return 'version';
  if (p.upgrade !== l.upgrade) return 'upgrade';
  // llhttp accepts Transfer-Encoding in a request only when chunked is final: then it is chunked.
  if (p.chunked !== hasField(l.headers, 'transfer-encoding')) return 'chunked';
  // Past an upgrade's head nothing of llhttp's can be compared: node's binding drops llhttp's
  // errors once a request is an upgrade (it returns the bytes parsed instead).
  if (p.upgrade) return null;
  if (p.complete !== l.complete) return 'complete';
  if (p.body !== l.body) return 'body';
  if (p.complete && p.keepAlive !== l.keepAlive) return 'keep-alive';
  if (p.headers.length !== l.headers.length) return 'header count';
  if (p.complete && (p.trailers?.length ?? 0) !== (l.trailers?.length ?? 0)) return 'trailer count';
  return null;
}

/** The first difference between the two traces, or null when they agree. */
export function compareTraces(percore: Trace, llhttp: LlhttpTrace): Divergence | null {
  const p = cut(percore.messages, percore.error);
  const l = cut(llhttp.messages, llhttp.error);
  const divergence = (kind: string, index: number): Divergence => ({
    kind,
    index,
    percore: p.messages[index],
    llhttp: l.messages[index],
    percoreError: p.error,
    llhttpError: l.error,
  });
  /**
   * percore judges a line when its CRLF has arrived, and the head's framing fields when the head
   * ends; llhttp refuses at the first bad byte. When the input ends inside a line (of a head, or
   * a chunk-size line), or inside a head, that percore has not judged yet, it has decided
   * nothing: that is no divergence of outcome.
   */
  const undecidedOr = (kind: string, index: number): Divergence | null =>
    p.error === null && (percore.midLine || (p.messages[index] === undefined && !percore.idle)) ? null : divergence(kind, index);
  const count = Math.max(p.messages.length, l.messages.length);
  for (let i = 0; i < count; i++) {
    const pm = p.messages[i];
    const lm = l.messages[i];
    if (pm !== undefined && lm !== undefined) {
      const field = differingField(pm, lm);
      if (field === null && pm.upgrade) return null;
      if (field === null) continue;
      if (!pm.complete || !lm.complete) {
        // Refused inside this body by both: the connection ends with an error either way.
        if (p.error !== null && l.error !== null) return null;
        if (l.error !== null && !lm.complete) return undecidedOr(`llhttp refuses in a body: ${l.error}`, i);
        if (p.error !== null && !pm.complete) return divergence(`percore refuses in a body: ${p.error}`, i);
      }
      return divergence(`message ${field}`, i);
    }
    // Both refuse this message, one in its head and the other in its body (llhttp judges
    // Transfer-Encoding only once the head is over): the connection ends with an error either way.
    if (p.error !== null && l.error !== null && !(pm?.complete ?? false) && !(lm?.complete ?? false)) return null;
    if (pm !== undefined) {
      return divergence(l.error !== null ? `llhttp refuses: ${l.error}` : 'llhttp waits, percore has a message', i);
    }
    if (p.error === null) return undecidedOr('percore waits, llhttp has a message', i);
    return divergence(`percore refuses: ${p.error}`, i);
  }
  if ((p.error === null) === (l.error === null)) return null;
  if (p.error !== null) return divergence(`percore refuses: ${p.error}`, count);
  return undecidedOr(`llhttp refuses: ${l.error}`, count);
}
