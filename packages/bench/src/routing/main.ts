import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseRoutingCli, routingUsage, RoutingUsageError, type RoutingCommand } from './cli.js';
import type { Timing } from './measure.js';
import { renderRouting, type RoutingRun } from './report.js';
import { buildRouter, mismatches, type RouterKind } from './routers.js';
import { LOOKUPS, ROUTES } from './routes.js';

const worker = fileURLToPath(new URL('./worker.js', import.meta.url));

function timeIn(kind: RouterKind, c: RoutingCommand): Promise<Timing> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [worker, kind, String(c.durationSeconds), String(c.warmupSeconds)],
      { timeout: (c.durationSeconds + c.warmupSeconds + 60) * 1000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${kind} measurement failed: ${stderr.trim() || error.message}`));
        else resolve(JSON.parse(stdout) as Timing);
      },
    );
  });
}

/** `pnpm bench routing`: returns the exit code (0 done, 1 the routers disagree or a run failed, 2 usage). */
export async function routingMain(argv: string[], commandLine: string): Promise<number> {
  let c: RoutingCommand;
  try {
    const parsed = parseRoutingCli(argv);
    if ('help' in parsed) {
      console.log(parsed.help);
      return 0;
    }
    c = parsed.command;
  } catch (error) {
    if (!(error instanceof RoutingUsageError)) throw error;
    console.error(`percore-bench routing: ${error.message}\n\n${routingUsage()}`);
    return 2;
  }
  // The machine's cores, not those this process may run on (taskset -c 1 shows one).
  const cores = cpus().length;
  if (c.cpus !== undefined) execFileSync('taskset', ['-a', '-p', '-c', c.cpus, String(process.pid)], { stdio: 'ignore' });
  const allowed = allowedCpus();
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const percore = await buildRouter('percore', ROUTES);
  const fmw = await buildRouter('find-my-way', ROUTES);
  const wrong = mismatches(percore, fmw, LOOKUPS);
  if (wrong.length > 0) {
    console.error(`percore-bench routing: the routers disagree on ${wrong.length} of ${LOOKUPS.length} lookups:\n  ${wrong.join('\n  ')}`);
    return 1;
  }
  const hits = LOOKUPS.filter((l) => percore.match(l.method, l.path) !== null).length;
  progress(
    `both routers agree on all ${LOOKUPS.length} lookups (${hits} hits, ${LOOKUPS.length - hits} misses) over ${ROUTES.length} routes`,
  );

  const run: RoutingRun = {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores,
    cpus: allowed !== null && allowed !== `0-${cores - 1}` ? allowed : null,
    command: commandLine,
    rounds: c.rounds,
    durationSeconds: c.durationSeconds,
    warmupSeconds: c.warmupSeconds,
    routes: ROUTES.length,
    lookups: LOOKUPS.length,
    results: [],
  };
  const kinds: RouterKind[] = ['percore', 'find-my-way'];
  const total = c.rounds * kinds.length;
  let done = 0;
  for (let round = 1; round <= c.rounds; round++) {
    for (const kind of round % 2 === 1 ? kinds : [...kinds].reverse()) {
      let timing: Timing;
      try {
        timing = await timeIn(kind, c);
      } catch (error) {
        console.error(`percore-bench routing: ${(error as Error).message}`);
        return 1;
      }
      run.results.push({ round, router: kind, opsPerSecond: timing.opsPerSecond });
      done++;
      const left = (total - done) * (c.durationSeconds + c.warmupSeconds);
      progress(`[${done}/${total}] round ${round}/${c.rounds} | ${kind}: ${Math.round(timing.opsPerSecond)} lookups/s | ~${left}s left`);
    }
  }
  const table = renderRouting(run);
  if (c.json !== undefined) writeFileSync(c.json, `${JSON.stringify(run, null, 2)}\n`);
  if (c.out !== undefined) writeFileSync(c.out, `${table}\n`);
  console.log(table);
  return 0;
}

/** The CPUs this process may run on, as Linux lists them (e.g. "1" under taskset -c 1), or null if unknown. */
function allowedCpus(): string | null {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}
