/**
 * Conditional requests (RFC 9110 13): evaluated in the order of 13.2.2 against one
 * representation's validators.
 */
import type { HttpRequest } from '../http/api.js';
import { parseHttpDate } from './validators.js';

export interface Validators {
  /** The strong ETag, quoted. */
  readonly etag: string;
  /** Last-Modified in whole seconds. */
  readonly lastModified: number;
}

/** 0: go on and serve; 304 Not Modified; 412 Precondition Failed. */
export type ConditionResult = 0 | 304 | 412;

/**
 * RFC 9110 13.2.2, steps 1 to 4 (If-Range, step 5, is `rangeStillValid`). Only GET and HEAD get
 * here, so a true If-None-Match answers 304 (13.1.2).
 */
export function evaluatePreconditions(req: HttpRequest, validators: Validators): ConditionResult {
  const ifMatch = req.header('if-match');
  if (ifMatch !== undefined) {
    // 13.1.1: strong comparison; '*' matches any current representation (this one exists).
    if (!matchesList(ifMatch, validators.etag, true)) return 412;
  } else {
    const ifUnmodifiedSince = req.header('if-unmodified-since');
    if (ifUnmodifiedSince !== undefined) {
      // 13.1.4: false when modified after the date; an invalid date is ignored.
      const date = parseHttpDate(ifUnmodifiedSince);
      if (!Number.isNaN(date) && validators.lastModified > date) return 412;
    }
  }
  const ifNoneMatch = req.header('if-none-match');
  if (ifNoneMatch !== undefined) {
    // 13.1.2: weak comparison.
    if (matchesList(ifNoneMatch, validators.etag, false)) return 304;
  } else {
    const ifModifiedSince = req.header('if-modified-since');
    if (ifModifiedSince !== undefined) {
      // 13.1.3: false (not modified) when the date is not before Last-Modified.
      const date = parseHttpDate(ifModifiedSince);
      if (!Number.isNaN(date) && validators.lastModified <= date) return 304;
    }
  }
  return 0;
}

/**
 * RFC 9110 13.1.5: whether a Range should be honoured given If-Range. An entity-tag must match
 * strongly (a weak one never does); a date must equal Last-Modified exactly. Without If-Range, true.
 */
export function rangeStillValid(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === validators.etag;
  const date = parseHttpDate(value);
  return !Number.isNaN(date) && date === validators.lastModified;
}

/**
 * Whether a field value (`*` or a list of entity-tags, RFC 9110 8.8.3) matches `etag`. Strong
 * comparison needs both tags strong and equal; weak comparison ignores the W/ prefix (8.8.3.2).
 */
export function matchesList(field: string, etag: string, strong: boolean): boolean {
  const value = field.trim();
  if (value === '*') return true;
  // The fast common case: exactly our tag (what a browser revalidating sends).
  if (value === etag) return true;
  for (const item of value.split(',')) {
    let tag = item.trim();
    if (tag.startsWith('W/')) {
      if (strong) continue;
      tag = tag.slice(2);
    }
    if (tag === etag) return true;
  }
  return false;
}
