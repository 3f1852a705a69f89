// The four real int8 models of ../shared/models against the TFLite Micro goldens of ../shared/golden/models,
// bit-exact on every backend (run, runAsync, and inspect tensor by tensor against person.all_tensors.bin).
// Models and goldens are read in place; a suite whose files are absent is skipped and says which.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as q from '../../lib/index';
import type { Kernels } from '../../lib/kernels';
import { withKernels } from '../../lib/kernels';
import type { TfliteModel } from '../../lib/tflite';
import { BACKENDS } from '../helpers/backends';
import { GOLDEN_DIR } from '../helpers/golden';
import { firstDifference } from '../helpers/ops';

const MODELS_DIR = process.env.QINT8_MODELS_DIR ?? path.join(__dirname, '..', '..', '..', 'shared', 'models');

interface ManifestCase {
  name: string;
  input_files?: string[];
  output_files?: string[];
  output0_argmax?: number;
  input_int8?: number[];
  output_int8?: number[];
  all_tensors?: { file: string; index: Array<{ tensor_index: number; name: string; shape: number[]; offset: number; bytes: number }> };
}

interface Manifest {
  model_sha256: string;
  inputs: Array<{ tensor_index: number; shape: number[] }>;
  outputs: Array<{ tensor_index: number; shape: number[] }>;
  cases: ManifestCase[];
}

const MODELS = [
  { key: 'person_detect', file: 'person_detect.tflite' },
  { key: 'micro_speech_quantized', file: 'micro_speech_quantized.tflite' },
  { key: 'mobilenet_v2_pytorch', file: 'mobilenet_v2_quantized_1x3x224x224.tflite' },
  { key: 'hello_world_int8', file: 'hello_world_int8.tflite' },
] as const;

function readManifest(key: string): Manifest | null {
  const file = path.join(GOLDEN_DIR, 'models', key, 'manifest.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest) : null;
}

function readInt8(key: string, file: string): Int8Array {
  const b = fs.readFileSync(path.join(GOLDEN_DIR, 'models', key, file));
  return new Int8Array(b.buffer, b.byteOffset, b.length);
}

function skipped(title: string, why: string): void {
  describe.skip(`${title} (skipped: ${why})`, () => {
    it('needs the shared models and goldens', () => undefined);
  });
}

function loadOn(k: Kernels, bytes: Uint8Array): Promise<TfliteModel> {
  return withKernels(k, () => q.loadTflite(bytes));
}

function topK(scores: ArrayLike<number>, n: number): number[] {
  return Array.from(scores, (v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, n).map((p) => p[1]);
}

for (const { key, file } of MODELS) {
  const modelPath = path.join(MODELS_DIR, file);
  const manifest = readManifest(key);
  if (!fs.existsSync(modelPath)) {
    skipped(`${key} golden`, `${modelPath} not found`);
    continue;
  }
  if (manifest === null) {
    skipped(`${key} golden`, `${path.join(GOLDEN_DIR, 'models', key, 'manifest.json')} not found`);
    continue;
  }
  const bytes = new Uint8Array(fs.readFileSync(modelPath));
  describe.each(BACKENDS)(`${key} matches TFLite Micro bit for bit [%s]`, (backendName, k) => {
    // mobilenet_v2 on the TypeScript kernels: 300M MACs, slow under jest (its vm context makes global Math lookups in
    // the kernels' inner loops costly): run() only, with a long timeout; runAsync is covered on the other models
    const heavy = key === 'mobilenet_v2_pytorch' && backendName === 'js';
    let model: TfliteModel;
    beforeAll(async () => {
      model = await loadOn(k, bytes);
    });
    afterAll(() => model.dispose());

    it('is the file the goldens were made from, with their inputs and outputs', () => {
      expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(manifest.model_sha256);
      expect(model.inputs.map((t) => [t.index, t.shape])).toEqual(manifest.inputs.map((t) => [t.tensor_index, t.shape]));
      expect(model.outputs.map((t) => [t.index, t.shape])).toEqual(manifest.outputs.map((t) => [t.tensor_index, t.shape]));
    });

    for (const c of manifest.cases) {
      if (c.input_int8 !== undefined && c.output_int8 !== undefined) {
        const ins = c.input_int8;
        const outs = c.output_int8;
        it(`${c.name}: every int8 input, one invocation each`, () => {
          const got = withKernels(k, () => ins.map((v) => model.run([Int8Array.of(v)])[0][0]));
          expect(firstDifference(got, outs)).toBeNull();
        });
        continue;
      }
      if (c.input_files === undefined || c.output_files === undefined) continue;
      const inputFiles = c.input_files;
      const outputFiles = c.output_files;
      it(`${c.name}: run${heavy ? '' : ' and runAsync'}`, async () => {
        const inputs = inputFiles.map((f) => readInt8(key, f));
        const expected = outputFiles.map((f) => readInt8(key, f));
        const outputs = withKernels(k, () => model.run(inputs));
        outputs.forEach((o, i) => expect(firstDifference(o, expected[i])).toBeNull());
        if (c.output0_argmax !== undefined) expect(topK(outputs[0], 1)[0]).toBe(c.output0_argmax);
        if (key === 'mobilenet_v2_pytorch' && c.name === 'dog_raw_memcpy') expect(topK(outputs[0], 5)).toEqual([258, 259, 261, 203, 279]);
        if (heavy) return;
        const asyncOutputs = await withKernels(k, () => model.runAsync(inputs));
        asyncOutputs.forEach((o, i) => expect(firstDifference(o, expected[i])).toBeNull());
      }, heavy ? 300_000 : undefined);
      const all = c.all_tensors;
      if (all !== undefined) {
        it(`${c.name}: inspect() equals ${all.file} tensor by tensor`, () => {
          const blob = readInt8(key, all.file);
          const inputs = inputFiles.map((f) => readInt8(key, f));
          const steps = withKernels(k, () => model.inspect(inputs));
          const byIndex = new Map(steps.map((s) => [s.index, s]));
          const golden = new Map(all.index.map((e) => [e.tensor_index, e]));
          // walk in execution order and report the first tensor that diverges
          let compared = 0;
          for (const s of steps) {
            const e = golden.get(s.index);
            if (e === undefined) continue;
            compared++;
            expect(s.tensor.shape).toEqual(e.shape);
            const diff = firstDifference(s.tensor.data, blob.subarray(e.offset, e.offset + e.bytes));
            if (diff !== null) throw new Error(`first divergence: operator ${s.opIndex} (${s.op}) output tensor ${s.index} '${s.name}': ${diff}`);
          }
          // every golden tensor that is not a model input was produced and compared
          const missing = all.index.filter((e) => !byIndex.has(e.tensor_index) && !model.inputs.some((t) => t.index === e.tensor_index));
          expect(missing.map((e) => e.tensor_index)).toEqual([]);
          expect(compared).toBe(all.index.length - model.inputs.filter((t) => golden.has(t.index)).length);
        });
      }
    }
  });
}

describe('hello_world_int8 approximates sin(x) on [0, 2π]', () => {
  const modelPath = path.join(MODELS_DIR, 'hello_world_int8.tflite');
  (fs.existsSync(modelPath) ? it : it.skip)(`every int8 input${fs.existsSync(modelPath) ? '' : ` (skipped: ${modelPath} not found)`}`, async () => {
    const m = await q.loadTflite(modelPath);
    const [input] = m.inputs;
    const [output] = m.outputs;
    let worst = 0;
    for (let v = -128; v <= 127; v++) {
      const x = input.scale * (v - input.zeroPoint);
      if (x > 2 * Math.PI) continue;
      const [y] = m.run([Int8Array.of(v)]);
      worst = Math.max(worst, Math.abs(output.scale * (y[0] - output.zeroPoint) - Math.sin(x)));
    }
    expect(worst).toBeLessThan(0.2);
    // Float32Array inputs are quantized with the input's parameters
    const [y] = m.run([Float32Array.of(Math.PI / 2)]);
    expect(output.scale * (y[0] - output.zeroPoint)).toBeCloseTo(1, 0);
  });
});
