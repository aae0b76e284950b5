/**
 * Splits an inline command (`SET k "a b"`, as telnet or redis-cli's raw mode send it) the way
 * Redis's sdssplitargs does: spaces separate arguments; "double quotes" take the escapes \n \r \t
 * \b \a \\ \" and \xHH; 'single quotes' take \'; a closing quote must be followed by a space or
 * the end. Returns null for unbalanced quotes (Redis: "Protocol error: unbalanced quotes in request").
 */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const args: Buffer[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return args;
    const bytes: number[] = [];
    let inDouble = false;
    let inSingle = false;
    for (let done = false; !done;) {
      const c = line[i];
      if (inDouble) {
        if (c === undefined) return null;
        if (c === 0x5c /* \ */ && line[i + 1] === 0x78 /* x */ && isHex(line[i + 2]) && isHex(line[i + 3])) {
          bytes.push(parseInt(String.fromCharCode(line[i + 2]!, line[i + 3]!), 16));
          i += 3;
        } else if (c === 0x5c && i + 1 < n) {
          i++;
          bytes.push(unescape(line[i]!));
        } else if (c === 0x22 /* " */) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else {
          bytes.push(c);
        }
      } else if (inSingle) {
        if (c === undefined) return null;
        if (c === 0x5c && line[i + 1] === 0x27 /* ' */) {
          i++;
          bytes.push(0x27);
        } else if (c === 0x27) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else {
          bytes.push(c);
        }
      } else if (c === undefined || isSpace(c)) {
        done = true;
      } else if (c === 0x22) {
        inDouble = true;
      } else if (c === 0x27) {
        inSingle = true;
      } else {
        bytes.push(c);
      }
      if (i < n) i++;
    }
    args.push(Buffer.from(bytes));
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
}

function unescape(c: number): number {
  switch (c) {
    case 0x6e:
      return 0x0a; // \n
    case 0x72:
      return 0x0d; // \r
    case 0x74:
      return 0x09; // \t
    case 0x62:
      return 0x08; // \b
    case 0x61:
      return 0x07; // \a
    default:
      return c;
  }
}
