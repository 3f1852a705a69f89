// The `qint8` command line: `info` (backend, ISA, threads), `bench` (benchmark tables) and `run` (one .tflite
// model on given inputs: outputs raw, dequantized and their argmax; with --bench, the median latency).
import * as fs from 'fs';
import * as path from 'path';
import { backend, setThreads } from './backend';
import { loadTflite } from './tflite';
import type { TensorInfo, TfliteInput, TfliteModel, TfliteOutput } from './tflite';
import type { Profile } from './types';
import { PROFILES } from './types';

const USAGE = [
  'usage: qint8 info',
  '       qint8 bench [--json FILE] [--rounds N] [--quick] [--only quant,gemm,conv,models] [--threads 1,2] [--vs onnxruntime|none]',
  '       qint8 run MODEL.tflite [--input FILE]... [--profile tflite-ref|tflite-single|xnnpack-fp32] [--threads N] [--bench] [--runs N]',
].join('\n');

const RUN_USAGE = 'qint8 run MODEL.tflite [--input FILE]... [--profile P] [--threads N] [--bench] [--runs N]';

export interface RunArgs {
  model: string;
  inputs: string[];
  profile: Profile;
  threads?: number;
  bench: boolean;
  runs: number;
}

/** Parses the arguments of `qint8 run`; a RangeError names the bad one. */
export function parseRunArgs(argv: string[]): RunArgs {
  const args: RunArgs = { model: '', inputs: [], profile: 'tflite-ref', bench: false, runs: 50 };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new RangeError(`qint8 run: ${flag} needs a value (${RUN_USAGE})`);
    return v;
  };
  const count = (v: string, flag: string, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`qint8 run: ${flag} takes an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--input') args.inputs.push(value(i++, a));
    else if (a === '--profile') {
      const p = value(i++, a);
      if (!(PROFILES as readonly string[]).includes(p)) throw new RangeError(`qint8 run: --profile takes ${PROFILES.join(', ')}, got ${JSON.stringify(p)}`);
      args.profile = p as Profile;
    } else if (a === '--threads') args.threads = count(value(i++, a), a, 1024);
    else if (a === '--runs') args.runs = count(value(i++, a), a, 100000);
    else if (a === '--bench') args.bench = true;
    else if (a.startsWith('--')) throw new RangeError(`qint8 run: unknown option ${JSON.stringify(a)} (${RUN_USAGE})`);
    else if (args.model === '') args.model = a;
    else throw new RangeError(`qint8 run: one model only, got a second one ${JSON.stringify(a)} (use --input for inputs)`);
  }
  if (args.model === '') throw new RangeError(`qint8 run: the model file is missing (${RUN_USAGE})`);
  return args;
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A minimal .npy reader (version 1-3, C order, int8 / uint8 / little-endian float32). */
function readNpy(file: string, bytes: Buffer): { kind: 'i1' | 'u1' | 'f4'; shape: number[]; data: Buffer } {
  const bad = (why: string): RangeError => new RangeError(`qint8 run: ${file} ${why}`);
  if (bytes.length < 10 || bytes.toString('latin1', 1, 6) !== 'NUMPY') throw bad('is not a .npy file');
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw bad('has a truncated header');
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([<>|=]?)([a-z]\d+)'/.exec(header);
  const order = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape) throw bad('has a header this reader does not understand');
  if (order[1] === 'True') throw bad('is in Fortran order; save it in C order');
  const kind = descr[2];
  if (kind !== 'i1' && kind !== 'u1' && !(kind === 'f4' && descr[1] !== '>')) throw bad(`holds dtype ${descr[1]}${kind}; int8, uint8 or little-endian float32 is supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  return { kind, shape: dims, data: bytes.subarray(start + headerLength) };
}

/** The input tensor `info` from a raw .bin (exactly its bytes) or a .npy file. */
export function readInput(file: string, info: TensorInfo): TfliteInput {
  const bytes = fs.readFileSync(file);
  const n = numel(info.shape);
  const shapeText = `[${info.shape.join(',')}]`;
  const asFloat = (b: Buffer): Float32Array => {
    const copy = new Uint8Array(b.length);
    copy.set(b);
    return new Float32Array(copy.buffer);
  };
  if (file.toLowerCase().endsWith('.npy')) {
    const npy = readNpy(file, bytes);
    if (numel(npy.shape) !== n) throw new RangeError(`qint8 run: ${file} has shape [${npy.shape.join(',')}], input '${info.name}' needs ${n} elements ${shapeText}`);
    if (npy.kind === 'f4') return asFloat(npy.data.subarray(0, 4 * n));
    if (info.dtype === 'float32') throw new RangeError(`qint8 run: input '${info.name}' is FLOAT32; ${file} holds ${npy.kind === 'i1' ? 'int8' : 'uint8'} codes`);
    const codes = npy.data.subarray(0, n);
    return npy.kind === 'i1' ? new Int8Array(codes) : new Uint8Array(codes);
  }
  const size = info.dtype === 'float32' ? 4 * n : n;
  if (bytes.length !== size) {
    throw new RangeError(`qint8 run: ${file} has ${bytes.length} bytes; input '${info.name}' ${info.dtype} ${shapeText} needs exactly ${size}` +
      (info.dtype === 'float32' ? ' (raw little-endian float32)' : ' (raw int8/uint8 codes)'));
  }
  if (info.dtype === 'float32') return asFloat(bytes);
  return info.dtype === 'int8' ? new Int8Array(bytes) : new Uint8Array(bytes);
}

function formatList(values: ArrayLike<number>, digits: number | null, limit = 16): string {
  const shown = Array.from({ length: Math.min(values.length, limit) }, (_, i) => (digits === null ? String(values[i]) : Number(values[i].toPrecision(digits)).toString()));
  return `[${shown.join(', ')}${values.length > limit ? `, … (${values.length} values)` : ''}]`;
}

/** The lines printed for one output: raw codes, dequantized values, argmax (and the top 5 of long outputs). */
export function describeOutput(i: number, info: TensorInfo, data: TfliteOutput): string[] {
  const real = data instanceof Float32Array ? data : Float32Array.from(data, (v) => Math.fround(info.scale * (v - info.zeroPoint)));
  let best = 0;
  for (let j = 1; j < real.length; j++) if (real[j] > real[best]) best = j;
  const lines = [
    `output ${i} '${info.name}' ${info.dtype} [${info.shape.join(',')}]${data instanceof Float32Array ? '' : ` scale ${info.scale} zero point ${info.zeroPoint}`}`,
  ];
  if (!(data instanceof Float32Array)) lines.push(`  raw:         ${formatList(data, null)}`);
  lines.push(`  dequantized: ${formatList(real, 6)}`);
  lines.push(`  argmax:      ${real.length === 0 ? '-' : `${best} (${Number(real[best].toPrecision(6))})`}`);
  if (real.length > 16) {
    const top = Array.from(real, (v, j) => [v, j]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 5);
    lines.push(`  top-5:       ${top.map(([v, j]) => `${j} (${Number(v.toPrecision(6))})`).join(', ')}`);
  }
  return lines;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  if (args.threads !== undefined) setThreads(args.threads);
  const model: TfliteModel = await loadTflite(args.model, { profile: args.profile });
  try {
    if (args.inputs.length > model.inputs.length) {
      throw new RangeError(`qint8 run: ${args.inputs.length} --input files for a model with ${model.inputs.length} input${model.inputs.length === 1 ? '' : 's'}`);
    }
    const info = backend();
    console.log(`model ${path.basename(args.model)}: ${model.inputs.length} input(s), ${model.outputs.length} output(s), arena ${model.arenaBytes} bytes; ` +
      `profile ${model.profile}; backend ${info.name} (${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`);
    const inputs = model.inputs.map((t, i): TfliteInput => {
      const file = args.inputs[i];
      if (file !== undefined) return readInput(file, t);
      console.log(`note: no --input for input ${i} '${t.name}' [${t.shape.join(',')}]: using ${t.dtype === 'float32' ? 'zeros' : `its zero point (${t.zeroPoint}) everywhere`}`);
      const n = numel(t.shape);
      if (t.dtype === 'float32') return new Float32Array(n);
      return t.dtype === 'int8' ? new Int8Array(n).fill(t.zeroPoint) : new Uint8Array(n).fill(t.zeroPoint);
    });
    const outputs = model.run(inputs);
    outputs.forEach((o, i) => console.log(describeOutput(i, model.outputs[i], o).join('\n')));
    if (args.bench) {
      for (let i = 0; i < Math.min(5, args.runs); i++) model.run(inputs);
      const times: number[] = [];
      for (let i = 0; i < args.runs; i++) {
        const start = process.hrtime.bigint();
        model.run(inputs);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      const sorted = [...times].sort((a, b) => a - b);
      console.log(`latency: median ${median(times).toFixed(3)} ms over ${args.runs} runs (min ${sorted[0].toFixed(3)}, ` +
        `p90 ${sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))].toFixed(3)} ms)`);
    }
    return 0;
  } finally {
    model.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'info': {
      console.log(JSON.stringify(backend(), null, 2));
      return 0;
    }
    case 'bench': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { benchMain } = require('../bench/run') as typeof import('../bench/run');
      await benchMain(rest);
      return 0;
    }
    case 'run':
      return runCommand(rest);
    default:
      console.error(USAGE);
      return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
  }
}
