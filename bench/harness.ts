// Benchmark harness: timed cases run in alternating rounds (so drift hits every contender alike), the
// median per case, a plain-text table and JSON. Speed is reported here, never asserted by a test.

export type RateUnit = 'Gelem/s' | 'GOPS' | 'µs/call';

export interface BenchCase {
  /** Row label, e.g. "quantize 1M f32 per-tensor". */
  name: string;
  /** Contender (column), e.g. "qint8 native", "qint8 js", "ort u8×s8 1T". */
  contender: string;
  /** Work per call in the unit of `rateUnit` (elements, or operations for GOPS); 1 for 'µs/call'. */
  work: number;
  /** A throughput (higher is better), or 'µs/call': the latency of one call (lower is better). */
  rateUnit: RateUnit;
  /** One call of the measured operation (a case has run, runAsync, or both: runAsync is then used). */
  run?: () => unknown;
  /** Async cases (a peer whose API is async); awaited per call. */
  runAsync?: () => Promise<unknown>;
  /** Called before the warm-up, the calibration and every timed sample, outside the timing (e.g. setThreads). */
  setup?: () => void;
  /** What the case computes (shape, dtypes, threads), copied into its result for the JSON. */
  params?: Record<string, number | string | boolean>;
}

export interface BenchResult {
  name: string;
  contender: string;
  /** Median seconds per call; NaN when the case failed. */
  medianSeconds: number;
  /** work / second / 1e9 for throughputs, microseconds per call for 'µs/call'; NaN when the case failed. */
  rate: number;
  rateUnit: RateUnit;
  work: number;
  rounds: number;
  /** Calls per timed sample (calibrated once, then fixed for every round). */
  callsPerSample: number;
  /** Seconds per call of every round, in order. */
  samples: number[];
  /** Why the case did not run (it threw during the warm-up or a round). */
  error?: string;
  params?: Record<string, number | string | boolean>;
}

export interface BenchOptions {
  rounds: number;
  /** Minimum time per timed sample, seconds. */
  minSampleSeconds: number;
  onProgress?: (done: number, total: number) => void;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (up to maxMs) until the threads of this process are idle: less than 10% of one core of CPU time in a 5 ms
 * window while this thread sleeps. A contender's worker threads may spin for a while after its calls (onnxruntime's
 * do by default, for longer than a sample here); starting the next sample, another contender's, under them would
 * charge it with their cores.
 */
export async function settle(maxMs = 2000): Promise<void> {
  const deadline = now() + maxMs / 1000;
  for (;;) {
    const before = process.cpuUsage();
    const start = now();
    await sleep(5);
    const used = process.cpuUsage(before);
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (cpuSeconds < 0.1 * (now() - start) || now() >= deadline) return;
  }
}

async function timeCalls(c: BenchCase, calls: number): Promise<number> {
  c.setup?.();
  const start = now();
  if (c.runAsync) {
    for (let i = 0; i < calls; i++) await c.runAsync();
  } else if (c.run) {
    for (let i = 0; i < calls; i++) c.run();
  } else {
    throw new TypeError(`bench case ${c.name} / ${c.contender} has neither run nor runAsync`);
  }
  return now() - start;
}

/** Calls per sample so that a sample lasts at least minSeconds. */
async function calibrate(c: BenchCase, minSeconds: number): Promise<number> {
  let calls = 1;
  for (;;) {
    const t = await timeCalls(c, calls);
    if (t >= minSeconds / 4 || calls >= 1 << 24) return Math.max(1, Math.ceil((calls * minSeconds) / Math.max(t, 1e-9)));
    calls *= 4;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

/**
 * Runs every case for `rounds` rounds, alternating cases within each round; returns medians. Every case gets a
 * warm-up call, then a call count calibrated once so that a sample lasts minSampleSeconds, then the same number
 * of rounds, each sample started once the process's threads are idle (settle). A case that throws is reported
 * with its error and skipped afterwards; the others go on.
 */
export async function runBench(cases: BenchCase[], opts: BenchOptions): Promise<BenchResult[]> {
  const calls: number[] = [];
  const errors: Array<string | undefined> = cases.map(() => undefined);
  for (let i = 0; i < cases.length; i++) {
    try {
      await timeCalls(cases[i], 1); // warm-up (JIT, page faults, lazy init, thread pool start)
      calls.push(await calibrate(cases[i], opts.minSampleSeconds));
    } catch (err) {
      errors[i] = message(err);
      calls.push(0);
    }
  }
  const samples: number[][] = cases.map(() => []);
  const total = cases.length * opts.rounds;
  let done = 0;
  for (let r = 0; r < opts.rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      if (errors[i] === undefined) {
        try {
          await settle();
          samples[i].push((await timeCalls(cases[i], calls[i])) / calls[i]);
        } catch (err) {
          errors[i] = message(err);
        }
      }
      opts.onProgress?.(++done, total);
    }
  }
  return cases.map((c, i) => {
    const error = errors[i];
    const seconds = error === undefined ? median(samples[i]) : NaN;
    const rate = c.rateUnit === 'µs/call' ? seconds * 1e6 : c.work / seconds / 1e9;
    const result: BenchResult = {
      name: c.name, contender: c.contender, medianSeconds: seconds, rate, rateUnit: c.rateUnit, work: c.work,
      rounds: opts.rounds, callsPerSample: calls[i], samples: samples[i],
    };
    if (error !== undefined) result.error = error;
    if (c.params !== undefined) result.params = c.params;
    return result;
  });
}

/** How much faster `a` is than `b` (work per second over work per second): > 1 means `a` is faster. */
export function speedRatio(a: BenchResult, b: BenchResult): number {
  return a.work / a.medianSeconds / (b.work / b.medianSeconds);
}

/** A table column: a contender's rate, or the speed ratio of two contenders (speedRatio(base, other)). */
export type Column = { header: string; contender: string } | { header: string; base: string; other: string };

export interface TableOptions {
  /** Default: every contender in order of appearance, then the first contender's speed ratio to each other. */
  columns?: Column[];
  /** 'full' (default): rate, unit and time per call; 'rate': the number only. */
  cell?: 'full' | 'rate';
}

function formatRate(r: BenchResult, cell: 'full' | 'rate'): string {
  if (r.error !== undefined) return 'failed';
  if (r.rateUnit === 'µs/call') return cell === 'rate' ? r.rate.toFixed(r.rate >= 100 ? 0 : 1) : `${r.rate.toFixed(1)} µs/call`;
  const value = r.rate.toFixed(r.rate >= 10 ? 1 : 3);
  return cell === 'rate' ? value : `${value} ${r.rateUnit} (${formatTime(r.medianSeconds)})`;
}

/** A table with one row per case name; columns of rates and speed ratios (> 1: the base is faster). */
export function formatTable(results: BenchResult[], opts: TableOptions = {}): string {
  const names = [...new Set(results.map((r) => r.name))];
  const contenders = [...new Set(results.map((r) => r.contender))];
  const columns: Column[] = opts.columns ?? [
    ...contenders.map((c) => ({ header: c, contender: c })),
    ...contenders.slice(1).map((c) => ({ header: `${contenders[0]} / ${c}`, base: contenders[0], other: c })),
  ];
  const cell = opts.cell ?? 'full';
  const find = (name: string, contender: string): BenchResult | undefined => results.find((r) => r.name === name && r.contender === contender);
  const ok = (r: BenchResult | undefined): r is BenchResult => r !== undefined && r.error === undefined;
  const header = ['case', ...columns.map((c) => c.header)];
  const rows = names.map((name) => [
    name,
    ...columns.map((col) => {
      if ('contender' in col) {
        const r = find(name, col.contender);
        return r ? formatRate(r, cell) : '-';
      }
      const a = find(name, col.base);
      const b = find(name, col.other);
      return ok(a) && ok(b) ? `${speedRatio(a, b).toFixed(2)}x` : '-';
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function formatTime(seconds: number): string {
  if (seconds < 1e-6) return `${(seconds * 1e9).toFixed(0)} ns`;
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(1)} µs`;
  return `${(seconds * 1e3).toFixed(2)} ms`;
}

/** A one-line progress bar on stderr for long runs (only when stderr is a terminal). */
export function progressBar(label: string): (done: number, total: number) => void {
  if (!process.stderr.isTTY) return () => undefined;
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done === total) process.stderr.write('\n');
  };
}
