/**
 * The measured server: the real product (buildContext + createPhonekeys), in a process of its
 * own, on loopback. It counts every MongoDB command it sends (driver command monitoring) and,
 * when the bench asks, reports those counts with its own CPU time, so the bench can take
 * the difference over a load phase. Configuration comes from the environment, as in production
 * (the bench sets it); logs go to stdout (the bench sends them to a file).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createPhonekeys } from '../src/app.js';
import { buildContext } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { CommandCounter, type CommandCounts } from './commandCounter.js';
import { failStart, serveBench } from './ipc.js';
import { type ProcessStats, watchProcess } from './processStats.js';

export interface ServerReady {
  port: number;
  pid: number;
}

export interface ServerSnapshot extends ProcessStats {
  commands: CommandCounts;
}

let profiler: Session | undefined;
const processStats = watchProcess();

try {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const context = await buildContext(config, { logger });
  const counter = new CommandCounter(context.database.connection.getClient());
  // The bench's whole fleet (up to thousands of connections) comes from one loopback address,
  // where real phones come from many: the per-address connection cap would only measure itself.
  const phonekeys = createPhonekeys(context, { runJobs: config.runJobs, maxConnectionsPerIp: Number.POSITIVE_INFINITY });
  const port = await phonekeys.listen(0, '127.0.0.1');
  process.on('SIGTERM', () => {
    phonekeys.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  serveBench({ port, pid: process.pid } satisfies ServerReady, {
    snapshot: (): ServerSnapshot => ({ ...processStats(), commands: counter.snapshot() }),
    // For finding hot spots (BENCH_CPU_PROF): a CPU profile of exactly one load phase.
    profileStart: async () => {
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    },
    // BENCH_HEAP_PROF: every allocation of one load phase, sampled (what the collector has to clean up).
    heapProfileStart: async () => {
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    heapProfileStop: async (file: unknown) => {
      const { profile } = await profiler!.post('HeapProfiler.stopSampling');
      writeFileSync(String(file), JSON.stringify(profile));
      profiler!.disconnect();
      return String(file);
    },
    profileStop: async (file: unknown) => {
      const { profile } = await profiler!.post('Profiler.stop');
      writeFileSync(String(file), JSON.stringify(profile));
      profiler!.disconnect();
      return String(file);
    },
  });
} catch (error) {
  failStart(error);
}
