/**
 * The differences from llhttp that percore keeps on purpose, each with the rule that makes percore
 * right: the table docs/parser-divergences.md explains, row by row (`id` is the row's name there).
 * A divergence the fuzzer finds that no rule here explains is a bug to fix, or a row to add.
 */
import type { Divergence } from './differential.js';
import { llhttpMethods } from './llhttp-trace.js';
import type { Trace } from './percore-trace.js';

export interface KnownDivergence {
  id: string;
  /** Whether this rule explains the divergence seen on `input`. */
  explains(divergence: Divergence, input: Buffer, percore: Trace): boolean;
}

/**
 * Refusals that percore makes and llhttp (strict, node's default) does not: each code is an RFC
 * rule llhttp does not enforce, or a configured limit.
 */
const PERCORE_STRICTER: Record<string, string> = {
  PERCORE_ERR_INVALID_HOST: 'host-validated',
  PERCORE_ERR_DUPLICATE_HOST: 'host-required-once',
  PERCORE_ERR_MISSING_HOST: 'host-required-once',
  PERCORE_ERR_INVALID_REQUEST_LINE: 'strict-request-line',
  PERCORE_ERR_INVALID_VERSION: 'strict-request-line',
  PERCORE_ERR_VERSION_NOT_SUPPORTED: 'versions-1.0-1.1',
  PERCORE_ERR_INVALID_TARGET: 'target-forms',
  PERCORE_ERR_INVALID_METHOD: 'strict-request-line',
  PERCORE_ERR_METHOD_NOT_IMPLEMENTED: 'connect-501',
  PERCORE_ERR_CHUNKED_NOT_FINAL: 'transfer-encoding',
  PERCORE_ERR_UNSUPPORTED_TRANSFER_CODING: 'transfer-encoding',
  PERCORE_ERR_TRANSFER_ENCODING_ON_HTTP10: 'transfer-encoding',
  PERCORE_ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING: 'transfer-encoding',
  PERCORE_ERR_INVALID_CONTENT_LENGTH: 'content-length-digits',
  PERCORE_ERR_DUPLICATE_CONTENT_LENGTH: 'content-length-digits',
  PERCORE_ERR_EXPECTATION_FAILED: 'expect-417',
  PERCORE_ERR_BARE_LF: 'line-endings',
  PERCORE_ERR_BARE_CR: 'line-endings',
  PERCORE_ERR_INVALID_CHUNK_EXTENSION: 'chunk-extensions',
  PERCORE_ERR_INVALID_CHUNK_SIZE: 'chunk-extensions',
  PERCORE_ERR_INVALID_HEADER_VALUE: 'field-values',
  PERCORE_ERR_INVALID_HEADER_NAME: 'field-values',
  PERCORE_ERR_WHITESPACE_BEFORE_COLON: 'field-values',
  PERCORE_ERR_OBSOLETE_LINE_FOLDING: 'field-values',
  PERCORE_ERR_BODY_TOO_LARGE: 'limits',
  PERCORE_ERR_HEADERS_TOO_LARGE: 'limits',
  PERCORE_ERR_TOO_MANY_HEADERS: 'limits',
  PERCORE_ERR_REQUEST_LINE_TOO_LONG: 'limits',
};

/** llhttp's RTSP-only methods: with an HTTP version it refuses them (HPE_INVALID_CONSTANT). */
const RTSP_METHODS = new Set([
  'DESCRIBE',
  'ANNOUNCE',
  'SETUP',
  'PLAY',
  'PAUSE',
  'TEARDOWN',
  'GET_PARAMETER',
  'SET_PARAMETER',
  'REDIRECT',
  'RECORD',
  'FLUSH',
]);

const text = (input: Buffer) => input.toString('latin1');
const methodOf = (d: Divergence, percore: Trace) => d.percore?.method ?? percore.lastMethod;

function fieldValues(headers: readonly string[] | undefined, name: string): string[] {
  const values: string[] = [];
  if (headers === undefined) return values;
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) values.push(headers[i + 1]!);
  return values;
}

export const knownDivergences: KnownDivergence[] = [
  {
    // RFC 9110 9.1: any token is a method; llhttp knows a fixed list.
    id: 'unknown-methods',
    explains: (d, _input, percore) => d.llhttpError === 'HPE_INVALID_METHOD' && !llhttpMethods.has(methodOf(d, percore)),
  },
  {
    id: 'unknown-methods',
    explains: (d, _input, percore) => d.llhttpError === 'HPE_INVALID_CONSTANT' && RTSP_METHODS.has(methodOf(d, percore)),
  },
  {
    // RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); llhttp takes letters only.
    id: 'absolute-form-schemes',
    explains: (d) =>
      d.llhttpError === 'HPE_INVALID_URL' &&
      d.percore !== undefined &&
      /^[A-Za-z][A-Za-z0-9+.-]*[0-9+.-][A-Za-z0-9+.-]*:\/\//.test(d.percore.target),
  },
  {
    // RFC 9112 5: field-line = field-name ":" OWS field-value OWS, OWS = *( SP / HTAB ); llhttp
    // refuses an HTAB after a Content-Length's digits or a Transfer-Encoding's last coding.
    id: 'htab-ows-after-framing-values',
    explains: (d, input) =>
      (d.llhttpError === 'HPE_INVALID_CONTENT_LENGTH' || d.llhttpError === 'HPE_INVALID_TRANSFER_ENCODING') &&
      /(content-length|transfer-encoding):[^\r\n]*\t[ \t]*\r\n/i.test(text(input)),
  },
  {
    // RFC 9110 6.5.1: trailers cannot frame the message; percore keeps them as data and frames by
    // the head alone, llhttp refuses a Content-Length or Transfer-Encoding among them.
    id: 'framing-fields-in-trailers',
    explains: (d) =>
      (d.llhttpError === 'HPE_INVALID_CONTENT_LENGTH' ||
        d.llhttpError === 'HPE_INVALID_TRANSFER_ENCODING' ||
        d.llhttpError === 'HPE_UNEXPECTED_CONTENT_LENGTH') &&
      d.percore !== undefined &&
      d.percore.chunked &&
      (fieldValues(d.percore.trailers ?? undefined, 'content-length').length > 0 ||
        fieldValues(d.percore.trailers ?? undefined, 'transfer-encoding').length > 0),
  },
  {
    // The same rule for Connection: close among the trailers. llhttp applies it and refuses the
    // next request (HPE_CLOSED_CONNECTION); percore keeps the connection by the head's fields
    // (RFC 9110 6.5.1: a sender MUST NOT send a trailer field its definition does not permit).
    id: 'framing-fields-in-trailers',
    explains: (d, _input, percore) =>
      d.llhttpError === 'HPE_CLOSED_CONNECTION' &&
      d.index > 0 &&
      fieldValues(percore.messages[d.index - 1]?.trailers ?? undefined, 'connection').some((value) => /close/i.test(value)),
  },
  {
    // RFC 9110 7.8: a server MUST ignore Upgrade in an HTTP/1.0 request; llhttp reports it.
    id: 'upgrade-http10',
    explains: (d) => d.kind === 'message upgrade' && d.percore !== undefined && d.percore.versionMinor === 0 && !d.percore.upgrade,
  },
  {
    // RFC 9110 5.6.1: a recipient MUST accept and ignore empty list elements.
    id: 'empty-list-elements',
    explains: (d) =>
      d.llhttpError === 'HPE_INVALID_TRANSFER_ENCODING' &&
      d.percore !== undefined &&
      d.percore.chunked &&
      fieldValues(d.percore.headers, 'transfer-encoding').some((value) => /(^|,)[ \t]*(,|$)/.test(value)),
  },
  {
    // RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name ... ); llhttp refuses the BWS.
    id: 'bws-in-chunk-lines',
    explains: (d, input) =>
      (d.llhttpError === 'HPE_INVALID_CHUNK_SIZE' || d.llhttpError === 'HPE_STRICT') &&
      d.percore !== undefined &&
      d.percore.chunked &&
      /(^|\n)[0-9A-Fa-f]+[ \t]*;?[^\r\n]*[ \t]/.test(text(input).slice(text(input).indexOf('\r\n\r\n'))),
  },
  {
    // RFC 9110 7.6.1 (Connection is a list: empty elements and OWS allowed), RFC 9112 9.3: close
    // ends the connection; HTTP/1.0 persists only with keep-alive; RFC 9110 7.8: "upgrade" offers
    // a switch. The verdict is derived here again from the list, independently of the parser;
    // llhttp misreads such lists (an HTAB after an option, empty elements).
    id: 'connection-lists',
    explains: (d) => {
      if ((d.kind !== 'message keep-alive' && d.kind !== 'message upgrade') || d.percore === undefined) return false;
      const options = new Set(
        fieldValues(d.percore.headers, 'connection')
          .flatMap((value) => value.split(','))
          .map((option) => option.replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase()),
      );
      const http11 = d.percore.versionMinor === 1;
      if (d.kind === 'message upgrade') {
        // RFC 9110 7.8: an upgrade offer needs HTTP/1.1, an Upgrade field and the "upgrade" option.
        const offered = http11 && options.has('upgrade') && fieldValues(d.percore.headers, 'upgrade').some((value) => value !== '');
        return d.percore.upgrade === offered;
      }
      return d.percore.keepAlive === (!options.has('close') && (http11 || options.has('keep-alive')));
    },
  },
];

/** The id of the rule that explains `divergence`, or null: an unexplained divergence. */
export function explainDivergence(divergence: Divergence, input: Buffer, percore: Trace): string | null {
  if (divergence.kind.startsWith('percore refuses') && divergence.percoreError !== null) {
    const id = PERCORE_STRICTER[divergence.percoreError];
    if (id !== undefined) return id;
  }
  for (const rule of knownDivergences) if (rule.explains(divergence, input, percore)) return rule.id;
  return null;
}
