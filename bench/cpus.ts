/**
 * Where the bench's processes run. On Linux with `taskset` and at least two CPUs, the measured
 * servers (the product and the bare baseline, one after the other) get the first CPU of the
 * bench's affinity to themselves, and everything that makes the load — the bench process with
 * autocannon, the database — runs on the others: the load generator's work never shares a core
 * with the process being measured, which is what made rounds of one run differ most. Elsewhere
 * (or with BENCH_PIN=0) nothing is pinned, and the report says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface CpuPlan {
  /** taskset CPU list of the measured servers; undefined when nothing is pinned. */
  measured?: string;
  /** taskset CPU list of the bench, its load generator and the database. */
  load?: string;
  /** Says what was done, for the report. */
  note: string;
}

/** The CPUs this process may run on (`Cpus_allowed_list`), e.g. "0-3,6" → [0, 1, 2, 3, 6]. */
function allowedCpus(): number[] {
  const status = readFileSync('/proc/self/status', 'utf8');
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? '';
  return list.split(',').flatMap((part) => {
    const [from = Number.NaN, to = from] = part.split('-').map(Number);
    return Number.isInteger(from) && Number.isInteger(to) ? Array.from({ length: to - from + 1 }, (_, i) => from + i) : [];
  });
}

/** Decides the plan and pins the bench process itself (all its threads) to the load CPUs. */
export function pinBench(): CpuPlan {
  if (process.env.BENCH_PIN === '0') return { note: 'not pinned (BENCH_PIN=0)' };
  if (process.platform !== 'linux') return { note: `not pinned (${process.platform}: no taskset)` };
  let cpus: number[];
  try {
    cpus = allowedCpus();
    execFileSync('taskset', ['-c', String(cpus[0] ?? 0), 'true'], { stdio: 'ignore' });
  } catch {
    return { note: 'not pinned (taskset is not available)' };
  }
  if (cpus.length < 2) return { note: `not pinned (one CPU only: ${cpus.join(',')})` };
  const measured = String(cpus[0]);
  const load = cpus.slice(1).join(',');
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', load, String(process.pid)], { stdio: 'ignore' });
  return { measured, load, note: `measured servers on CPU ${measured}; load generator and database on CPU ${load} (taskset)` };
}
