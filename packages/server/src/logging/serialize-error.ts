/** How deep `cause` chains are followed. */
const MAX_CAUSE_DEPTH = 4;

/** A property as JSON, or its string form where JSON can't hold it (a BigInt, a cycle). */
function jsonValue(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    // falls through to the string form
  }
  return JSON.stringify(String(value));
}

/**
 * An error as pino's standard `err` serializer writes it: `type` (the constructor's name),
 * `message`, `stack`, then its other own enumerable properties (`code`, `status`, …) and its
 * `cause`, serialized the same way. A thrown non-Error is kept as its JSON (or its string).
 */
export function serializeError(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return jsonValue(error);
  const type = typeof error.constructor === 'function' && error.constructor.name ? error.constructor.name : error.name;
  let text = `{"type":${JSON.stringify(type)},"message":${JSON.stringify(error.message)}`;
  if (error.stack !== undefined) text += `,"stack":${JSON.stringify(error.stack)}`;
  for (const key of Object.keys(error)) {
    if (key === 'message' || key === 'stack' || key === 'type' || key === 'cause') continue;
    text += `,${JSON.stringify(key)}:${jsonValue((error as unknown as Record<string, unknown>)[key])}`;
  }
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) text += `,"cause":${serializeError(error.cause, depth + 1)}`;
  return `${text}}`;
}
