#!/usr/bin/env node
import cluster from 'node:cluster';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isPercoreError, serve, type ServeHandle } from '@percore/server';
import { buildHandler } from './app.js';
import { parseCommandLine } from './args.js';
import { resolveConfig, type CliConfig } from './config.js';
import { debugLog } from './debug-log.js';
import { observabilityNotes, observabilityOptions } from './observability-options.js';
import { dropPrivileges } from './privileges.js';
import { selfSignedLine, tlsNote } from './tls/notes.js';
import { makeSelfSignedCertificate, type SelfSignedCertificate } from './tls/self-signed.js';
import { handToWorkers, takeFromPrimary, type PemPair } from './tls/worker-handoff.js';
import { usage } from './usage.js';
import { UsageError } from './usage-error.js';

/** What a worker tells the CLI in the primary about its privilege drop (beside percore's own messages). */
interface DropReport {
  percoreCli: 'dropped' | 'drop-failed';
  message?: string;
}

const USAGE_EXIT = 2;
const RUNTIME_EXIT = 1;

function fail(code: number, message: string): never {
  console.error(`percore: ${message}${code === USAGE_EXIT ? " (see 'percore --help')" : ''}`);
  process.exit(code);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function checkRoot(root: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch (error) {
    throw new UsageError(`cannot serve ${root}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : String(error)}`);
  }
  if (!isDirectory) throw new UsageError(`cannot serve ${root}: not a directory`);
}

/** An access-log file is appended to (and made if missing): its directory must exist. */
function checkAccessLog(path: string | null): void {
  if (path === null || path === 'stdout') return;
  let stats;
  try {
    stats = statSync(dirname(path));
  } catch {
    throw new UsageError(`cannot write the access log ${path}: no such directory ${dirname(path)}`);
  }
  if (!stats.isDirectory()) throw new UsageError(`cannot write the access log ${path}: ${dirname(path)} is not a directory`);
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`cannot write the access log ${path}: it is a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // missing: the server makes it
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

async function main(): Promise<void> {
  const isWorker = cluster.isWorker;
  let config: CliConfig;
  try {
    const command = parseCommandLine(process.argv.slice(2));
    if (command.kind === 'help') {
      console.log(usage());
      process.exit(0);
    }
    if (command.kind === 'version') {
      console.log(version());
      process.exit(0);
    }
    config = resolveConfig(command.flags, process.env, process.cwd());
    if (command.flags.printConfig) {
      console.log(JSON.stringify(config, null, 2));
      process.exit(0);
    }
    checkRoot(config.root);
    checkAccessLog(config.accessLog);
  } catch (error) {
    if (error instanceof UsageError) fail(USAGE_EXIT, error.message);
    throw error;
  }
  const dropping = config.user !== null || config.group !== null;
  if (dropping && !isWorker && process.getuid?.() !== 0) {
    fail(RUNTIME_EXIT, `--user/--group drop privileges, which needs root (running as uid ${process.getuid?.()})`);
  }

  // Listening from before the fork: a worker may report its drop as soon as it listens.
  const drops = dropping && !isWorker ? watchPrivilegeDrops(config.workers) : null;
  // Made once, in the primary: every worker serves this one certificate.
  const selfSigned = config.tlsSelfSigned && !isWorker ? makeSelfSignedCertificate() : null;
  if (selfSigned !== null) handToWorkers(selfSigned);
  let handle: ServeHandle;
  try {
    const tls = tlsOf(config, selfSigned);
    handle = await serve({
      // Mount modules load in the primary too, so that a bad one is refused once, before any fork.
      handler: await buildHandler(config),
      host: config.host,
      port: config.port,
      workers: config.workers,
      engine: config.engine,
      observer: config.debug ? debugLog((line) => console.error(line)) : undefined,
      transport: tls === undefined ? undefined : { tls },
      // HTTP/2 is the net engine's default under TLS; uws has none to turn off.
      ...(config.engine === 'net' && !config.http2 ? { http2: false } : {}),
      ...observabilityOptions(config),
    });
  } catch (error) {
    if (error instanceof UsageError) fail(USAGE_EXIT, error.message);
    // serve() refusing a setting (LOG_LEVEL=loud, an access-log file it cannot open) is a bad value, as ours are.
    if (isPercoreError(error) && error.code === 'PERCORE_ERR_INVALID_OPTION') fail(USAGE_EXIT, `${error.code}: ${error.message}`);
    if (isPercoreError(error)) fail(RUNTIME_EXIT, `${error.code}: ${error.message}`);
    fail(RUNTIME_EXIT, error instanceof Error ? (error.stack ?? error.message) : String(error));
  }

  if (handle.role === 'worker') {
    // serve() resolves in a worker once it listens: bound to the port, it can let root go.
    if (!dropping) return;
    try {
      dropPrivileges(config.user, config.group);
    } catch (error) {
      process.send!({ percoreCli: 'drop-failed', message: (error as Error).message } satisfies DropReport, undefined, {}, () =>
        process.exit(RUNTIME_EXIT),
      );
      return;
    }
    process.send!({ percoreCli: 'dropped' } satisfies DropReport);
    return;
  }

  if (drops !== null) await drops;
  const protocols = tlsNote(config);
  const notes = [
    `${handle.workers} worker${handle.workers === 1 ? '' : 's'}`,
    `engine ${config.engine}`,
    ...(protocols === null ? [] : [protocols]),
    ...(dropping ? [`as ${[config.user, config.group].filter((name) => name !== null).join(':')}`] : []),
    ...observabilityNotes(config, handle.metricsUrl),
    `pid ${process.pid}`,
  ];
  console.log(`percore serving ${config.root} at ${handle.url}/ (${notes.join(', ')})`);
  if (selfSigned !== null) console.log(selfSignedLine(selfSigned.fingerprint256, selfSigned.notAfter));
}

/** The TLS certificate and key: the self-signed pair (made here in the primary, handed down in a worker), the PEM files, or none. */
function tlsOf(config: CliConfig, selfSigned: SelfSignedCertificate | null): PemPair | { cert: Buffer; key: Buffer } | undefined {
  if (config.tlsSelfSigned) return selfSigned === null ? takeFromPrimary() : { cert: selfSigned.cert, key: selfSigned.key };
  if (config.cert === null) return undefined;
  return { cert: readPem(config.cert, 'certificate'), key: readPem(config.key!, 'key') };
}

/**
 * Resolves once `workers` workers have dropped their privileges. A failure (from a first worker or
 * a replacement) stops the whole cluster: percore refuses to serve as root when asked not to.
 */
function watchPrivilegeDrops(workers: number): Promise<void> {
  return new Promise((resolve) => {
    const dropped = new Set<number>();
    cluster.on('message', (worker, message: DropReport) => {
      if (message?.percoreCli === 'dropped') {
        dropped.add(worker.id);
        if (dropped.size === workers) resolve();
      } else if (message?.percoreCli === 'drop-failed') {
        for (const id in cluster.workers) cluster.workers[id]?.process.kill('SIGKILL');
        fail(RUNTIME_EXIT, `refusing to serve: ${message.message ?? 'the privilege drop failed'}`);
      }
    });
  });
}

await main();
