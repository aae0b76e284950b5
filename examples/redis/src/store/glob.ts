/**
 * Redis's glob patterns (util.c stringmatchlen), for CONFIG GET, PSUBSCRIBE and KEYS-like matching:
 * `*` any run, `?` one character, `[abc]`, `[^a]`, `[a-z]`, and `\x` for a literal x.
 */
export function globMatch(pattern: string, text: string, noCase = false): boolean {
  if (noCase) {
    pattern = pattern.toLowerCase();
    text = text.toLowerCase();
  }
  return matchFrom(pattern, 0, text, 0);
}

function matchFrom(pattern: string, p: number, text: string, t: number): boolean {
  while (p < pattern.length) {
    const c = pattern[p]!;
    if (c === '*') {
      while (pattern[p + 1] === '*') p++;
      if (p + 1 === pattern.length) return true;
      for (let from = t; from <= text.length; from++) if (matchFrom(pattern, p + 1, text, from)) return true;
      return false;
    }
    if (t >= text.length) return false;
    if (c === '?') {
      t++;
      p++;
      continue;
    }
    if (c === '[') {
      const { matched, next } = matchClass(pattern, p + 1, text[t]!);
      if (!matched) return false;
      p = next;
      t++;
      continue;
    }
    if (c === '\\' && p + 1 < pattern.length) p++;
    if (pattern[p] !== text[t]) return false;
    p++;
    t++;
  }
  return t === text.length;
}

/** Matches `ch` against the class starting after '['; `next` is past its ']'. */
function matchClass(pattern: string, p: number, ch: string): { matched: boolean; next: number } {
  const negate = pattern[p] === '^';
  if (negate) p++;
  let matched = false;
  while (p < pattern.length && pattern[p] !== ']') {
    if (pattern[p] === '\\' && p + 1 < pattern.length) {
      p++;
      if (pattern[p] === ch) matched = true;
    } else if (pattern[p + 1] === '-' && p + 2 < pattern.length && pattern[p + 2] !== ']') {
      let low = pattern[p]!;
      let high = pattern[p + 2]!;
      if (low > high) [low, high] = [high, low];
      if (ch >= low && ch <= high) matched = true;
      p += 2;
    } else if (pattern[p] === ch) {
      matched = true;
    }
    p++;
  }
  return { matched: negate ? !matched : matched, next: p + 1 };
}
