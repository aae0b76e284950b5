/**
 * Content-coding negotiation for precompressed siblings (RFC 9110 12.5.3): picks 'br', 'gzip'
 * or identity (null) from Accept-Encoding, honouring q-values.
 */

export type Coding = 'br' | 'gzip';

/** The sibling file suffix of each coding. */
export const CODING_SUFFIX: Readonly<Record<Coding, string>> = { br: '.br', gzip: '.gz' };

/**
 * The preferred coding of `available` (server order breaks ties) that Accept-Encoding's parsed
 * `weights` allow (see parseAcceptEncoding), or
 * null for identity. A coding with q=0 is refused; '*' covers codings not named. Identity is
 * always available: when Accept-Encoding refuses it too, percore still sends identity rather than
 * a 406 (12.5.3 lets a server send an unlisted coding-free representation).
 */
export function negotiateCoding(weights: ReadonlyMap<string, number>, available: readonly Coding[]): Coding | null {
  if (available.length === 0) return null;
  let best: Coding | null = null;
  let bestQ = 0;
  for (const coding of available) {
    const q = weights.get(coding) ?? weights.get(coding === 'gzip' ? 'x-gzip' : coding) ?? weights.get('*') ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  if (best === null) return null;
  // Identity wins only when the client names it with a weight above the best coding's.
  const identityQ = weights.get('identity') ?? -1;
  return identityQ > bestQ ? null : best;
}

/** Coding (lower case) to q-value, or null when the field does not parse (then identity). */
export function parseAcceptEncoding(field: string): Map<string, number> | null {
  const weights = new Map<string, number>();
  for (const item of field.split(',')) {
    const parts = item.split(';');
    const coding = parts[0]!.trim().toLowerCase();
    if (coding === '') continue;
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(coding)) return null;
    let q = 1;
    for (let i = 1; i < parts.length; i++) {
      const param = parts[i]!.trim();
      const equals = param.indexOf('=');
      if (equals === -1) return null;
      if (param.slice(0, equals).trim().toLowerCase() !== 'q') continue;
      // RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      const text = param.slice(equals + 1).trim();
      if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(text)) return null;
      q = Number(text);
    }
    // The first occurrence counts.
    if (!weights.has(coding)) weights.set(coding, q);
  }
  return weights;
}
