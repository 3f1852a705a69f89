// Whole-model latency: the int8 .tflite models of ../shared/models (or QINT8_MODELS_DIR) through loadTflite on
// the native kernels (one thread) and the TypeScript ones, side by side with @tensorflow/tfjs-tflite (one thread,
// WebAssembly) when it is installed; µs per inference, and which qint8 profile the peer's output codes match.
import * as fs from 'fs';
import * as path from 'path';
import { loadTflite } from '../lib';
import type { TfliteModel } from '../lib';
import { packageRoot } from '../lib/binding';
import { jsKernels, nativeKernels, withKernels } from '../lib/kernels';
import type { BenchCase, Column } from './harness';
import { loadTfjsTflite, TfjsRunner } from './tfjs-tflite';
import { checkLine, CheckRecord, compareCodes, useThreads } from './versus';

export const MODEL_FILES = [
  { name: 'person_detect', file: 'person_detect.tflite' },
  { name: 'micro_speech', file: 'micro_speech_quantized.tflite' },
  { name: 'hello_world', file: 'hello_world_int8.tflite' },
  { name: 'mobilenet_v2', file: 'mobilenet_v2_quantized_1x3x224x224.tflite' },
] as const;

export const MODEL_CONTENDERS = { native: 'qint8 native 1T', js: 'qint8 js', tfjs: 'tfjs-tflite 1T' } as const;

/** The folder of the models: QINT8_MODELS_DIR, else ../shared/models beside the package. */
export function modelsDir(): string {
  return process.env.QINT8_MODELS_DIR ?? path.join(packageRoot(), '..', 'shared', 'models');
}

export interface ModelsSection {
  cases: BenchCase[];
  columns: Column[];
  checks: CheckRecord[];
  notes: string[];
  /** The peer and its version, or why it did not run. */
  peer: Record<string, unknown>;
  dispose(): void;
}

/** A deterministic input of every code (the pattern tfjs-tflite is fed too). */
function patternInput(n: number): Int8Array {
  return Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128);
}

/** The model's first output under another profile (loaded for the comparison only). */
async function profileOutput(bytes: Uint8Array, profile: 'tflite-single' | 'xnnpack-fp32', inputs: Int8Array[]): Promise<ArrayLike<number>> {
  const m = await loadTflite(bytes, { profile });
  try {
    return m.run(inputs)[0];
  } finally {
    m.dispose();
  }
}

export async function modelsSection(opts: { withPeer: boolean }): Promise<ModelsSection> {
  const dir = modelsDir();
  const found = MODEL_FILES.filter((m) => fs.existsSync(path.join(dir, m.file)));
  if (found.length === 0) throw new Error(`no models in ${dir} (set QINT8_MODELS_DIR to the folder of the .tflite files)`);
  const notes: string[] = [];
  const checks: CheckRecord[] = [];
  const cases: BenchCase[] = [];
  const models: TfliteModel[] = [];
  const runners: TfjsRunner[] = [];
  let peerInfo: Record<string, unknown> = { skipped: 'not requested (--vs none)' };
  const tfjs = opts.withPeer ? await loadTfjsTflite() : null;
  if (tfjs !== null) peerInfo = tfjs.peer ? { name: tfjs.peer.name, version: tfjs.peer.version, threads: 1 } : { skipped: tfjs.reason };
  if (tfjs !== null && tfjs.peer === null) notes.push(`${tfjs.reason}: its column is skipped`);
  for (const m of found) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, m.file)));
    const params = { model: m.file, bytes: bytes.length };
    const native = nativeKernels === null ? null : await withKernels(nativeKernels, () => loadTflite(bytes));
    const js = await withKernels(jsKernels, () => loadTflite(bytes));
    models.push(js);
    const shape = js.inputs[0].shape;
    const x = patternInput(shape.reduce((a, b) => a * b, 1));
    const inputs = [x, ...js.inputs.slice(1).map((t) => new Int8Array(t.shape.reduce((a, b) => a * b, 1)))];
    const name = `${m.name} [${shape.join(',')}]`;
    let reference: ArrayLike<number> | null = null;
    if (native !== null) {
      models.push(native);
      reference = withKernels(nativeKernels as NonNullable<typeof nativeKernels>, () => native.run(inputs))[0];
      const nk = nativeKernels as NonNullable<typeof nativeKernels>;
      cases.push({
        name, contender: MODEL_CONTENDERS.native, work: 1, rateUnit: 'µs/call', params: { ...params, threads: 1 },
        run: () => withKernels(nk, () => native.run(inputs)),
        setup: () => {
          if (useThreads(1)) withKernels(nk, () => native.run(inputs));
        },
      });
    }
    const jsOut = withKernels(jsKernels, () => js.run(inputs))[0];
    if (reference !== null) checks.push(compareCodes(`${m.name} output`, MODEL_CONTENDERS.js, MODEL_CONTENDERS.native, jsOut, reference, 0));
    reference ??= jsOut;
    cases.push({ name, contender: MODEL_CONTENDERS.js, work: 1, rateUnit: 'µs/call', params, run: () => withKernels(jsKernels, () => js.run(inputs)) });
    if (tfjs?.peer && js.inputs.length === 1 && js.inputs[0].dtype === 'int8') {
      try {
        const runner = await tfjs.peer.create(bytes, x, shape);
        runners.push(runner);
        // which of qint8's profiles the peer's arithmetic lands on (no tolerance claimed: a report, not a check)
        const peerOut = Array.from(runner.run());
        const against: string[] = [];
        for (const profile of ['tflite-ref', 'tflite-single', 'xnnpack-fp32'] as const) {
          const out = profile === 'tflite-ref' ? reference : await profileOutput(bytes, profile, inputs);
          const c = compareCodes(`${m.name} output`, MODEL_CONTENDERS.tfjs, profile, peerOut, out, 0);
          against.push(`${profile} ${c.mismatches}/${c.total}${c.mismatches > 0 ? ` (max |Δ| ${c.maxAbsDiff})` : ''}`);
        }
        notes.push(`${m.name}: tfjs-tflite output codes differing from qint8's: ${against.join(', ')}`);
        cases.push({ name, contender: MODEL_CONTENDERS.tfjs, work: 1, rateUnit: 'µs/call', params: { ...params, threads: 1 }, run: () => runner.run() });
      } catch (err) {
        notes.push(`tfjs-tflite refused ${m.file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    }
  }
  for (const c of checks) notes.push(checkLine(c));
  const withTfjs = cases.some((c) => c.contender === MODEL_CONTENDERS.tfjs);
  const columns: Column[] = [
    ...(nativeKernels !== null ? [{ header: `${MODEL_CONTENDERS.native} µs`, contender: MODEL_CONTENDERS.native }] : []),
    { header: `${MODEL_CONTENDERS.js} µs`, contender: MODEL_CONTENDERS.js },
    ...(withTfjs ? [{ header: `${MODEL_CONTENDERS.tfjs} µs`, contender: MODEL_CONTENDERS.tfjs }] : []),
    ...(withTfjs && nativeKernels !== null ? [{ header: 'qint8/tfjs 1T', base: MODEL_CONTENDERS.native, other: MODEL_CONTENDERS.tfjs }] : []),
  ];
  return {
    cases, columns, checks, notes, peer: peerInfo,
    dispose: () => {
      for (const r of runners) r.dispose();
      for (const m of models) m.dispose();
    },
  };
}
