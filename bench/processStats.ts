/**
 * What a measured server process reports about itself around a phase, besides what it serves:
 * its CPU time, its garbage collections (main-thread pauses by kind) and its context switches
 * (involuntary ones: other processes wanted its CPU). Loaded by both servers, product and bare.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface ProcessStats {
  /** process.cpuUsage(), microseconds. */
  cpu: NodeJS.CpuUsage;
  /** Garbage collections so far: count and main-thread pause ms, by kind. */
  gc: Record<string, { count: number; ms: number }>;
  contextSwitches: { voluntary: number; involuntary: number };
  /** Date.now() */
  at: number;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

/** Starts counting garbage collections; returns the snapshot function. */
export function watchProcess(): () => ProcessStats {
  const gc: ProcessStats['gc'] = {};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      gc[kind] ??= { count: 0, ms: 0 };
      gc[kind].count++;
      gc[kind].ms += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return () => {
    const usage = process.resourceUsage();
    return {
      cpu: process.cpuUsage(),
      gc: structuredClone(gc),
      contextSwitches: { voluntary: usage.voluntaryContextSwitches, involuntary: usage.involuntaryContextSwitches },
      at: Date.now(),
    };
  };
}
