// Benchmark harness: timed cases run in alternating rounds (so drift hits every contender alike), the
// median per case, a plain-text table and JSON. Speed is reported here, never asserted by a test.

export interface BenchCase {
  /** Row label, e.g. "quantize 1M f32 per-tensor". */
  name: string;
  /** Contender, e.g. "qint8 native", "qint8 js", "onnxruntime-node". */
  contender: string;
  /** Work per call, in the unit of `rateUnit` (elements, or operations for GOPS). */
  work: number;
  rateUnit: 'Gelem/s' | 'GOPS';
  /** One call of the measured operation. */
  run: () => unknown;
  /** Async cases (a peer whose API is async); awaited per call. */
  runAsync?: () => Promise<unknown>;
}

export interface BenchResult {
  name: string;
  contender: string;
  medianSeconds: number;
  rate: number;
  rateUnit: string;
  rounds: number;
}

export interface BenchOptions {
  rounds: number;
  /** Minimum time per timed sample, seconds. */
  minSampleSeconds: number;
  onProgress?: (done: number, total: number) => void;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Calls per sample so that a sample lasts at least minSampleSeconds. */
async function calibrate(c: BenchCase, minSeconds: number): Promise<number> {
  let calls = 1;
  for (;;) {
    const t = await timeCalls(c, calls);
    if (t >= minSeconds / 4 || calls >= 1 << 24) return Math.max(1, Math.ceil((calls * minSeconds) / Math.max(t, 1e-9)));
    calls *= 4;
  }
}

async function timeCalls(c: BenchCase, calls: number): Promise<number> {
  const start = now();
  if (c.runAsync) {
    for (let i = 0; i < calls; i++) await c.runAsync();
  } else {
    for (let i = 0; i < calls; i++) c.run();
  }
  return now() - start;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs every case for `rounds` rounds, alternating cases within each round; returns medians. */
export async function runBench(cases: BenchCase[], opts: BenchOptions): Promise<BenchResult[]> {
  const calls: number[] = [];
  for (const c of cases) {
    await timeCalls(c, 1); // warm-up (JIT, page faults, lazy init)
    calls.push(await calibrate(c, opts.minSampleSeconds));
  }
  const samples: number[][] = cases.map(() => []);
  const total = cases.length * opts.rounds;
  let done = 0;
  for (let r = 0; r < opts.rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      samples[i].push((await timeCalls(cases[i], calls[i])) / calls[i]);
      opts.onProgress?.(++done, total);
    }
  }
  return cases.map((c, i) => {
    const seconds = median(samples[i]);
    return { name: c.name, contender: c.contender, medianSeconds: seconds, rate: c.work / seconds / 1e9, rateUnit: c.rateUnit, rounds: opts.rounds };
  });
}

/** A table with one row per case name and one column per contender, rates and ratios to the first contender. */
export function formatTable(results: BenchResult[]): string {
  const names = [...new Set(results.map((r) => r.name))];
  const contenders = [...new Set(results.map((r) => r.contender))];
  const header = ['case', ...contenders.map((c) => c), ...contenders.slice(1).map((c) => `${contenders[0]} / ${c}`)];
  const rows = names.map((name) => {
    const byContender = contenders.map((c) => results.find((r) => r.name === name && r.contender === c));
    const base = byContender[0];
    const cells = byContender.map((r) => (r ? `${r.rate.toFixed(r.rate >= 10 ? 1 : 3)} ${r.rateUnit} (${formatTime(r.medianSeconds)})` : '-'));
    const ratios = byContender.slice(1).map((r) => (r && base ? `${(base.rate / r.rate).toFixed(2)}x` : '-'));
    return [name, ...cells, ...ratios];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function formatTime(seconds: number): string {
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
