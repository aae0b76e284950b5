/**
 * Sec-WebSocket-Extensions (RFC 6455 9.1):
 *
 *   extension-list  = 1#extension
 *   extension       = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" ( token / quoted-string ) ]
 *
 * with optional whitespace around the separators (RFC 9110 5.6.1, 5.6.6). A quoted value must
 * unescape to a token (RFC 6455 9.1). The order of extensions and of their params is kept: the
 * order of offers is the client's preference (RFC 6455 9.1, RFC 7692 5), and repeated params
 * must stay visible for the extension to judge (RFC 7692 7, "MUST NOT include ... more than once").
 */
import { PercoreError } from '../errors.js';
import { BACKSLASH, COMMA, DQUOTE, EQUALS, HTAB, QDTEXT, QUOTED_PAIR, SEMICOLON, SP, TOKEN } from '../http/chars.js';

/** A param as written: `true` when it had no value. */
export interface ExtensionParam {
  readonly name: string;
  readonly value: string | true;
}

export interface Extension {
  readonly name: string;
  readonly params: readonly ExtensionParam[];
}

function malformed(header: string, at: number, what: string): PercoreError {
  return new PercoreError('PERCORE_ERR_WEBSOCKET_INVALID_EXTENSION', `${what} at offset ${at} of ${JSON.stringify(header)}`);
}

/**
 * Parses a Sec-WebSocket-Extensions value (several header lines joined with ", " are fine).
 * Empty list elements are skipped (RFC 9110 5.6.1); anything else off the grammar throws
 * PERCORE_ERR_WEBSOCKET_INVALID_EXTENSION.
 */
export function parseExtensions(header: string): Extension[] {
  const extensions: Extension[] = [];
  const length = header.length;
  let at = 0;

  const skipWhitespace = (): void => {
    while (at < length) {
      const code = header.charCodeAt(at);
      if (code !== SP && code !== HTAB) break;
      at++;
    }
  };
  const readToken = (what: string): string => {
    const start = at;
    while (at < length) {
      const code = header.charCodeAt(at);
      if (code > 0x7f || TOKEN[code] !== 1) break;
      at++;
    }
    if (at === start) throw malformed(header, at, `expected ${what}`);
    return header.slice(start, at);
  };
  const readQuoted = (): string => {
    const open = at++;
    let value = '';
    while (at < length) {
      const code = header.charCodeAt(at);
      if (code === DQUOTE) {
        at++;
        // RFC 6455 9.1: the unescaped value must itself be a token.
        if (value.length === 0) throw malformed(header, open, 'an empty quoted value');
        for (let i = 0; i < value.length; i++) {
          const c = value.charCodeAt(i);
          if (c > 0x7f || TOKEN[c] !== 1) throw malformed(header, open, 'a quoted value that is not a token');
        }
        return value;
      }
      if (code === BACKSLASH) {
        const next = header.charCodeAt(at + 1);
        if (!(next <= 0xff && QUOTED_PAIR[next] === 1)) throw malformed(header, at, 'a bad quoted-pair');
        value += header[at + 1]!;
        at += 2;
        continue;
      }
      if (code > 0xff || QDTEXT[code] !== 1) throw malformed(header, at, 'a bad character in a quoted value');
      value += header[at]!;
      at++;
    }
    throw malformed(header, open, 'an unterminated quoted value');
  };

  while (at < length) {
    skipWhitespace();
    if (at === length) break;
    if (header.charCodeAt(at) === COMMA) {
      at++;
      continue;
    }
    const name = readToken('an extension name');
    const params: ExtensionParam[] = [];
    skipWhitespace();
    while (at < length && header.charCodeAt(at) === SEMICOLON) {
      at++;
      skipWhitespace();
      const paramName = readToken('a parameter name');
      skipWhitespace();
      let value: string | true = true;
      if (at < length && header.charCodeAt(at) === EQUALS) {
        at++;
        skipWhitespace();
        value = header.charCodeAt(at) === DQUOTE ? readQuoted() : readToken('a parameter value');
        skipWhitespace();
      }
      params.push({ name: paramName, value });
    }
    if (at < length && header.charCodeAt(at) !== COMMA) throw malformed(header, at, 'an unexpected character');
    extensions.push({ name, params });
  }
  return extensions;
}

/** Formats extensions for a response header: `name; a; b=15, other`. Values are tokens, written bare. */
export function formatExtensions(extensions: readonly Extension[]): string {
  return extensions
    .map((extension) =>
      [extension.name, ...extension.params.map((param) => (param.value === true ? param.name : `${param.name}=${param.value}`))].join('; '),
    )
    .join(', ');
}
