// `npx qint8 bench [--json FILE] [--rounds N] [--quick] [--only quant|gemm|conv|models] [--threads 1,2] [--vs onnxruntime|none]`:
// runs the benchmark sections and prints, with the machine it ran on, one table per section: the quantization
// math (native vs js), GEMM / conv GOPS of qint8 side by side with onnxruntime-node when it is installed, and
// whole .tflite model latency (native 1 thread, js, and @tensorflow/tfjs-tflite when it is installed).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { backend } from '../lib';
import { packageRoot } from '../lib/binding';
import { convSection } from './conv';
import { modelsSection } from './models';
import { gemmSection } from './gemm';
import { BenchResult, formatTable, progressBar, runBench } from './harness';
import { loadOnnxruntime, Peer } from './peers';
import { quantCases } from './quant';
import { CheckRecord, Section, useThreads, versusColumns } from './versus';

export const SECTIONS = ['quant', 'gemm', 'conv', 'models'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchArgs {
  json?: string;
  rounds: number;
  minSampleSeconds: number;
  only: SectionName[];
  threads: number[];
  /** The peer to compare with: 'onnxruntime' (default, when installed; the models section uses tfjs-tflite) or 'none'. */
  vs: 'onnxruntime' | 'none';
}

const USAGE = 'expected --json FILE, --rounds N, --quick, --only quant|gemm|conv|models, --threads 1,2, --vs onnxruntime|none';

function value(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new RangeError(`qint8 bench: ${flag} needs a value (${USAGE})`);
  return v;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { rounds: 7, minSampleSeconds: 0.05, only: [...SECTIONS], threads: [1, 2], vs: 'onnxruntime' };
  const only: SectionName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = value(argv, i++, a);
    else if (a === '--rounds') args.rounds = Number(value(argv, i++, a));
    else if (a === '--quick') {
      args.rounds = 3;
      args.minSampleSeconds = 0.01;
    } else if (a === '--only') {
      for (const s of value(argv, i++, a).split(',')) {
        if (!(SECTIONS as readonly string[]).includes(s)) throw new RangeError(`qint8 bench: --only takes ${SECTIONS.join(', ')} (comma-separated), got ${JSON.stringify(s)}`);
        only.push(s as SectionName);
      }
    } else if (a === '--threads') {
      const list = value(argv, i++, a).split(',').map(Number);
      if (list.length === 0 || list.some((t) => !Number.isInteger(t) || t < 1 || t > 1024)) {
        throw new RangeError('qint8 bench: --threads takes comma-separated thread counts from 1 to 1024, e.g. 1,2');
      }
      args.threads = [...new Set(list)];
    } else if (a === '--vs') {
      const v = value(argv, i++, a);
      if (v !== 'onnxruntime' && v !== 'onnxruntime-node' && v !== 'none') throw new RangeError(`qint8 bench: --vs takes onnxruntime or none, got ${JSON.stringify(v)}`);
      args.vs = v === 'none' ? 'none' : 'onnxruntime';
    } else throw new RangeError(`qint8 bench: unknown argument ${JSON.stringify(a)} (${USAGE})`);
  }
  if (only.length > 0) args.only = SECTIONS.filter((s) => only.includes(s));
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new RangeError('qint8 bench: --rounds must be a positive integer');
  return args;
}

function qint8Version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

interface SectionReport {
  results: BenchResult[];
  checks: CheckRecord[];
  notes: string[];
}

export async function benchMain(argv: string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU', cores: cpus.length, platform: process.platform, arch: process.arch, node: process.version,
  };
  const machineText = `${machine.cpu}, ${machine.cores} cores, ${machine.platform}-${machine.arch}, Node ${machine.node}`;
  const date = new Date().toISOString();
  const info = backend();
  const initialThreads = info.threads;
  const version = qint8Version();
  console.log(`qint8 ${version} bench — ${date.slice(0, 10)} — ${machineText}`);
  console.log(`backend: ${info.name}, isa ${info.isa}${info.reason ? ` (${info.reason})` : ''}; median of ${args.rounds} alternating rounds, ` +
    `samples of >= ${args.minSampleSeconds * 1000} ms after a warm-up, each started once the process's threads are idle`);

  const needsPeer = args.only.some((s) => s === 'gemm' || s === 'conv');
  let peer: Peer | null = null;
  let peerInfo: Record<string, unknown> = { skipped: needsPeer ? 'not requested (--vs none)' : 'no section compares with a peer' };
  if (needsPeer && args.vs === 'none') console.log('--vs none: peer columns skipped');
  if (needsPeer && args.vs === 'onnxruntime') {
    const loaded = loadOnnxruntime();
    if (loaded.peer) {
      peer = loaded.peer;
      peerInfo = { name: peer.name, version: peer.version, sessionOptions: args.threads.map((t) => peer?.sessionOptions(t)) };
      console.log(`peer: ${peer.name} ${peer.version} (CPU), sessions { intraOpNumThreads: T, interOpNumThreads: 1, graphOptimizationLevel: 'all', ` +
        `executionMode: 'sequential' }; columns "ort u8×s8" / "ort s8×s8": QLinearMatMul / NHWC QLinearConv with uint8 / int8 activations`);
    } else {
      peerInfo = { skipped: loaded.reason };
      console.log(`${loaded.reason}: peer columns skipped`);
    }
  }

  // Thread counts are requested per column; record what qint8 actually runs with (1 until its thread pool exists).
  const threadsEffective: Record<string, number> = {};
  if (needsPeer) {
    for (const t of args.threads) {
      useThreads(t);
      threadsEffective[t] = backend().threads;
    }
    useThreads(initialThreads);
    const short = args.threads.filter((t) => threadsEffective[t] !== t);
    if (short.length > 0) {
      console.log(`note: qint8 ran ${short.map((t) => `the ${t}T columns with ${threadsEffective[t]} thread${threadsEffective[t] === 1 ? '' : 's'}`).join(', ')} ` +
        `(setThreads(n) is capped on this build); the peer ran with the requested threads`);
    }
  }

  const reports: Partial<Record<SectionName, SectionReport & { peer?: Record<string, unknown> }>> = {};
  const bench = { rounds: args.rounds, minSampleSeconds: args.minSampleSeconds };
  for (const name of args.only) {
    console.log('');
    if (name === 'quant') {
      console.log('## quantization math, 1M elements (throughput including the result allocation)');
      const results = await runBench(quantCases(), { ...bench, onProgress: progressBar('quant') });
      console.log(formatTable(results));
      reports.quant = { results, checks: [], notes: [] };
      continue;
    }
    if (name === 'models') {
      console.log('## models: loadTflite + run, one inference, µs (median); qint8/tfjs > 1: qint8 faster');
      try {
        const section = await modelsSection({ withPeer: args.vs !== 'none' });
        try {
          const results = await runBench(section.cases, { ...bench, onProgress: progressBar('models') });
          useThreads(initialThreads);
          console.log(formatTable(results, { columns: section.columns, cell: 'rate' }));
          for (const r of results) if (r.error !== undefined) section.notes.push(`${r.name} / ${r.contender} failed: ${r.error}`);
          for (const n of section.notes) console.log(n);
          reports.models = { results, checks: section.checks, notes: section.notes, peer: section.peer };
        } finally {
          section.dispose();
        }
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        console.log(`models section skipped: ${why}`);
        reports.models = { results: [], checks: [], notes: [`skipped: ${why}`] };
      }
      continue;
    }
    const title = name === 'gemm'
      ? '## GEMM: prepared fullyConnected int8 [M,K]×[N,K]ᵀ (M×K×N), GOPS = 2·M·N·K / s'
      : '## conv: prepared conv2d / depthwiseConv2d int8, NHWC batch 1, SAME padding, per-channel weights, GOPS = 2·MACs / s';
    console.log(`${title}${peer ? '; qint8/u8×s8 > 1: qint8 faster' : ''}`);
    let section: Section;
    try {
      section = await (name === 'gemm' ? gemmSection : convSection)({ threads: args.threads, peer });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      console.log(`${name} section skipped: ${why}`);
      reports[name] = { results: [], checks: [], notes: [`skipped: ${why}`] };
      continue;
    }
    try {
      const results = await runBench(section.cases, { ...bench, onProgress: progressBar(name) });
      useThreads(initialThreads);
      console.log(formatTable(results, { columns: versusColumns(args.threads, peer !== null), cell: 'rate' }));
      for (const r of results) if (r.error !== undefined) section.notes.push(`${r.name} / ${r.contender} failed: ${r.error}`);
      for (const n of section.notes) console.log(n);
      reports[name] = { results, checks: section.checks, notes: section.notes };
    } finally {
      await section.dispose();
    }
  }

  if (args.json) {
    const report = {
      qint8: version, date, machine, backend: info, options: args, peer: peerInfo, threadsEffective, sections: reports,
    };
    fs.writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${args.json}`);
  }
}
