import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

/** What was given on the command line, before env, file and defaults. */
export interface Flags {
  host?: string;
  port?: string;
  workers?: string;
  engine?: string;
  mount?: string[];
  user?: string;
  group?: string;
  cert?: string;
  key?: string;
  tlsSelfSigned?: boolean;
  /** false from --no-http2; never true (HTTP/2 is on by default). */
  http2?: false;
  debug?: boolean;
  single?: boolean;
  maxAge?: string;
  cors?: boolean;
  dotfiles?: string;
  config?: string;
  printConfig?: boolean;
  /** true: on, at the default path; or the path. */
  metrics?: true | string;
  metricsPort?: string;
  health?: boolean;
  /** true: to stdout; or the file. */
  accessLog?: true | string;
  logFormat?: string;
  root?: string;
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'serve'; flags: Flags };

const OPTIONS = {
  host: { type: 'string', short: 'a' },
  port: { type: 'string', short: 'p' },
  workers: { type: 'string', short: 'w' },
  engine: { type: 'string' },
  mount: { type: 'string', short: 'l', multiple: true },
  user: { type: 'string', short: 'u' },
  group: { type: 'string' },
  cert: { type: 'string', short: 'c' },
  key: { type: 'string', short: 'k' },
  // serve's names for the same two files.
  'ssl-cert': { type: 'string' },
  'ssl-key': { type: 'string' },
  'tls-self-signed': { type: 'boolean' },
  // Its own name: parseArgs' allowNegative needs Node 22.4, and there is no --http2 to negate.
  'no-http2': { type: 'boolean' },
  debug: { type: 'boolean', short: 'd' },
  single: { type: 'boolean', short: 's' },
  'max-age': { type: 'string' },
  // sirv-cli's spelling.
  maxage: { type: 'string' },
  cors: { type: 'boolean' },
  dotfiles: { type: 'string' },
  config: { type: 'string' },
  'print-config': { type: 'boolean' },
  // --metrics[=PATH] and --access-log[=FILE]: optional values, after '=' only (see withOptionalValues).
  metrics: { type: 'string' },
  'access-log': { type: 'string' },
  'metrics-port': { type: 'string' },
  health: { type: 'boolean' },
  'log-format': { type: 'string' },
  foreground: { type: 'boolean', short: 'f' },
  chroot: { type: 'string', short: 'r' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Parses `percore <command> ...` strictly. Throws UsageError for anything it does not know. */
export function parseCommandLine(argv: readonly string[]): Command {
  let args = [...argv];
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) throw new UsageError('no command given (percore serve [dir])');
  const first = args[0]!;
  if (first === '-h' || first === '--help' || first === 'help') return { kind: 'help' };
  if (first === '-v' || first === '--version') return { kind: 'version' };
  if (first !== 'serve') throw new UsageError(`unknown command '${first}' (the command is serve)`);
  args = args.slice(1);
  // `pnpm serve -- ./dir`: pnpm passes its `--` on to the script.
  if (args[0] === '--') args = args.slice(1);

  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: withOptionalValues(args), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // node's message goes on about '--' for positionals; its first sentence says it.
    throw new UsageError((error as Error).message.split('. ')[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (values.chroot !== undefined) {
    throw new UsageError("-r (chroot) is not supported: Node has no chroot; use systemd's RootDirectory= or a container");
  }
  if (positionals.length > 1) throw new UsageError(`one directory at most, got ${positionals.length}: ${positionals.join(' ')}`);
  const pick = (a: string | undefined, b: string | undefined, names: string): string | undefined => {
    if (a !== undefined && b !== undefined && a !== b) throw new UsageError(`${names} are the same option: give one`);
    return a ?? b;
  };
  const flags: Flags = {
    host: values.host,
    port: values.port,
    workers: values.workers,
    engine: values.engine,
    mount: values.mount,
    user: values.user,
    group: values.group,
    cert: pick(values.cert, values['ssl-cert'], '--cert and --ssl-cert'),
    key: pick(values.key, values['ssl-key'], '--key and --ssl-key'),
    tlsSelfSigned: values['tls-self-signed'],
    http2: values['no-http2'] ? false : undefined,
    debug: values.debug,
    single: values.single,
    maxAge: pick(values['max-age'], values.maxage, '--max-age and --maxage'),
    cors: values.cors,
    dotfiles: values.dotfiles,
    config: values.config,
    printConfig: values['print-config'],
    metrics: switchOrValue(values.metrics),
    metricsPort: values['metrics-port'],
    health: values.health,
    accessLog: switchOrValue(values['access-log']),
    logFormat: values['log-format'],
    root: positionals[0],
  };
  for (const key of Object.keys(flags) as Array<keyof Flags>) if (flags[key] === undefined) delete flags[key];
  return { kind: 'serve', flags };
}

/** The flags whose value is optional. */
const OPTIONAL_VALUE_FLAGS = new Set(['--metrics', '--access-log']);

/**
 * `--metrics` and `--access-log` take their value only after '=' (as GNU getopt's optional
 * arguments do), so that `serve --metrics ./site` keeps ./site as the directory. parseArgs has no
 * optional values: a bare one becomes `--metrics=`, an empty value that means "on, by default".
 * Nothing after a `--` terminator is touched.
 */
function withOptionalValues(args: readonly string[]): string[] {
  const terminator = args.indexOf('--');
  return args.map((arg, index) => ((terminator === -1 || index < terminator) && OPTIONAL_VALUE_FLAGS.has(arg) ? `${arg}=` : arg));
}

function switchOrValue(value: string | undefined): true | string | undefined {
  return value === '' ? true : value;
}
