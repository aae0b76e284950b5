import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseSoakCli, soakUsage } from './cli.js';
import type { ClusterProcess } from './cluster-process.js';
import { progressLine, soakJson, summary } from './report.js';
import { runSoak } from './run.js';

/** `pnpm bench soak`: runs the soak and returns the exit code (0 pass, 1 fail, 2 usage). */
export async function soakMain(argv: string[], command: string): Promise<number> {
  const parsed = parseSoakCli(argv);
  if ('help' in parsed) {
    console.log(parsed.help);
    return 0;
  }
  if ('error' in parsed) {
    console.error(`percore-bench soak: ${parsed.error}\n\n${soakUsage()}`);
    return 2;
  }
  const options = parsed.command;
  // Counted before pinning: a pinned process sees only its own CPUs.
  const cores = availableParallelism();
  if (options.clientCpus !== undefined) {
    try {
      // Every thread of this process: the load generator.
      execFileSync('taskset', ['-a', '-p', '-c', options.clientCpus, String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      console.error(
        `percore-bench soak: taskset -c ${options.clientCpus} failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`,
      );
      return 2;
    }
  }
  let cluster: ClusterProcess | undefined;
  const reap = (code: number) => {
    cluster?.kill();
    process.exit(code);
  };
  process.once('SIGINT', () => reap(130));
  process.once('SIGTERM', () => reap(143));
  process.stderr.write(`soak: ${options.durationSeconds} s, ${options.workers} workers, warm-up ${options.warmupSeconds} s\n`);
  const result = await runSoak({
    durationSeconds: options.durationSeconds,
    workers: options.workers,
    warmupSeconds: options.warmupSeconds,
    cores,
    ...(options.serverCpus !== undefined ? { serverCpus: options.serverCpus } : {}),
    progress: (snapshot) => process.stderr.write(`${progressLine(snapshot)}\n`),
    onCluster: (c) => {
      cluster = c;
      process.stderr.write(`soak: cluster pid ${c.primaryPid} on port ${c.port}\n`);
    },
  });
  console.log(`${summary(result)}\n\nCommand: ${command}`);
  if (options.json !== undefined) writeFileSync(options.json, soakJson(result, command));
  return result.verdict.pass ? 0 : 1;
}
