import { accessSync, constants, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Router, type Handler } from '@percore/server';
import { UsageError } from './usage-error.js';

/** What a mount module may export, looked up in this order. */
const EXPORT_NAMES = ['default', 'handler', 'router'] as const;

/**
 * Imports a mount module and returns its handler or Router: the default export, else `handler`,
 * else `router`. A missing or unreadable file, or one that exports neither, is a UsageError
 * naming it; an error thrown while the module loads is rethrown (a runtime failure).
 */
export async function loadMount(path: string): Promise<Handler | Router> {
  try {
    if (!statSync(path).isFile()) throw new UsageError(`the mount module ${path} is not a file`);
    accessSync(path, constants.R_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read the mount module ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  for (const name of EXPORT_NAMES) {
    const value = exports[name];
    if (value instanceof Router || typeof value === 'function') return value as Handler | Router;
    // A Router from another copy of @percore/server (the module's own node_modules) is no
    // instance of ours; its bound handler still routes the rest of the path under the prefix.
    if (isForeignRouter(value)) return (value as { handler: Handler }).handler;
  }
  const found = Object.keys(exports);
  throw new UsageError(
    `the mount module ${path} exports no handler: export default (or export \`handler\` or \`router\`) a (req, res) function or a Router` +
      ` (it exports ${found.length === 0 ? 'nothing' : found.join(', ')})`,
  );
}

function isForeignRouter(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { handler?: unknown }).handler === 'function' &&
    typeof (value as { mount?: unknown }).mount === 'function'
  );
}
