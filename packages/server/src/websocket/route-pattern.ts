import { PercoreError } from '../errors.js';

/**
 * A WebSocket route's URL pattern, matched as uWS matches it: literal segments, ':name' for one
 * segment (its value is a parameter), and a final '*' for the rest of the path.
 */
export class RoutePattern {
  readonly parameterNames: readonly string[];
  private readonly segments: readonly string[];
  private readonly wildcard: boolean;

  constructor(readonly pattern: string) {
    if (typeof pattern !== 'string' || !pattern.startsWith('/')) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `WebSocket route ${JSON.stringify(pattern)}: a pattern starts with /`);
    }
    const segments = pattern.slice(1).split('/');
    this.wildcard = segments[segments.length - 1] === '*';
    if (this.wildcard) segments.pop();
    if (segments.includes('*')) {
      throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `WebSocket route ${JSON.stringify(pattern)}: '*' may only end a pattern`);
    }
    this.segments = segments;
    this.parameterNames = segments.filter((segment) => segment.startsWith(':')).map((segment) => segment.slice(1));
  }

  /** The parameters of a matching path (undecoded, as uWS gives them), or null. */
  match(path: string): Record<string, string> | null {
    const parts = path.slice(1).split('/');
    const segments = this.segments;
    if (this.wildcard ? parts.length < segments.length : parts.length !== segments.length) return null;
    let params: Record<string, string> | null = null;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment.startsWith(':')) (params ??= Object.create(null) as Record<string, string>)[segment.slice(1)] = parts[i]!;
      else if (segment !== parts[i]) return null;
    }
    return params ?? (Object.create(null) as Record<string, string>);
  }
}
