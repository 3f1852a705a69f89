// Electron-safe by construction: no result hands JavaScript an external ArrayBuffer (memory owned by the addon).
// Electron's V8 memory cage refuses external buffers, so every result must live in an ordinary JS-allocated
// ArrayBuffer (or the caller's own `out`). Checked three ways: results behave as ordinary, transferable,
// non-shared buffers that alias no input; the glue's sources never create external buffers; and the addon
// binaries do not even import the Node-API functions that would.
import * as fs from 'fs';
import * as path from 'path';
import * as q from '../../lib/index';
import { backend } from '../../lib';
import { BACKENDS, onBackend } from '../helpers/backends';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeCases } = require('./fixtures/cases.js') as {
  makeCases: (lib: typeof q, size?: 'small' | 'large', seed?: number) => {
    cases: Array<{ name: string; sync: () => unknown; async: () => Promise<unknown> }>;
    dispose: () => void;
    tensors: Record<string, unknown>;
  };
};

/** Every typed array reachable in a result (QTensor fields, per-axis parameters, plain arrays of tensors). */
function viewsIn(value: unknown, seen = new Set<unknown>()): ArrayBufferView[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  if (ArrayBuffer.isView(value)) return [value];
  return Object.values(value as Record<string, unknown>).flatMap((v) => viewsIn(v, seen));
}

/** An ordinary buffer: an ArrayBuffer (not shared), not detached, transferable with structuredClone. */
function checkOrdinary(view: ArrayBufferView, inputs: Set<ArrayBufferLike>): string | null {
  const buffer = view.buffer;
  // (by brand, not instanceof: jest's sandbox and the addon may use different realms' constructors)
  const brand = Object.prototype.toString.call(buffer);
  if (brand !== '[object ArrayBuffer]') return `backed by ${brand}`;
  if (inputs.has(buffer)) return 'shares its buffer with an input';
  const before = new Uint8Array((buffer as ArrayBuffer).slice(0));
  let moved: ArrayBuffer;
  try {
    moved = structuredClone(buffer as ArrayBuffer, { transfer: [buffer as ArrayBuffer] });
  } catch (err) {
    return `not transferable: ${String(err)}`;
  }
  if (buffer.byteLength !== 0) return 'still attached after transfer';
  const after = new Uint8Array(moved);
  if (after.length !== before.length || after.some((v, i) => v !== before[i])) return 'changed by transfer';
  return null;
}

describe('results are ordinary, transferable JS-allocated buffers (Electron-safe)', () => {
  it('runs on the native backend (the case that matters)', () => {
    expect(backend().name).toBe('native');
  });

  for (const [backendName, k] of BACKENDS) {
    it(`every operator, sync and async, prepared and stateless (${backendName})`, async () => {
      const { cases, dispose, tensors } = makeCases(q, 'small', 21);
      const inputs = new Set<ArrayBufferLike>(viewsIn(tensors).map((v) => v.buffer));
      const problems: string[] = [];
      let checked = 0;
      for (const c of cases) {
        const results: Array<[string, unknown]> = [[`${c.name}`, onBackend(k, c.sync)], [`${c.name} async`, await onBackend(k, c.async)]];
        for (const [name, result] of results) {
          const views = viewsIn(result);
          if (views.length === 0) problems.push(`${name}: no typed array in the result`);
          if (name.startsWith('prepared fullyConnected out')) continue; // the caller's own array: checked below
          for (const view of views) {
            const why = checkOrdinary(view, inputs);
            if (why !== null) problems.push(`${name}: ${why}`);
            checked++;
          }
        }
      }
      dispose();
      expect(problems).toEqual([]);
      expect(checked).toBeGreaterThanOrEqual(2 * (cases.length - 1));
    });
  }

  it('quantization math, observers and float ops', () => {
    const x = { shape: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3) };
    const params = q.chooseQuantParams(-3, 3);
    const perAxis = q.choosePerAxisQuantParams(x, 2);
    const qx = q.quantize(x, params);
    const qa = q.quantize(x, perAxis);
    const observer = new q.MinMaxObserver({ axis: 1 });
    observer.observe(x);
    const filter = { shape: [2, 1, 1, 4], data: Float32Array.from({ length: 8 }, (_, i) => i / 8) };
    const results: Array<[string, unknown]> = [
      ['choosePerAxisQuantParams', perAxis],
      ['quantize', qx], ['quantize per-axis', qa],
      ['dequantize', q.dequantize(qx)], ['dequantize per-axis', q.dequantize(qa)],
      ['requantize', q.requantize(qx, { scale: 0.05, zeroPoint: 3 }, { dtype: 'uint8' })],
      ['MinMaxObserver per-axis', observer.quantParams()],
      ['foldBatchNorm', q.foldBatchNorm({ weights: filter, gamma: Float32Array.of(1, 2), beta: Float32Array.of(0, 1), mean: Float32Array.of(0.5, 0), variance: Float32Array.of(1, 4), epsilon: 1e-3, axis: 0 })],
      ['float.conv2d', q.float.conv2d({ shape: [1, 3, 4, 4], data: new Float32Array(48).fill(0.5) }, filter, null)],
      ['float.softmax', q.float.softmax(x)],
      ['float.fullyConnected', q.float.fullyConnected({ shape: [6, 4], data: x.data }, { shape: [2, 4], data: filter.data }, null)],
    ];
    const inputs = new Set<ArrayBufferLike>([x.data.buffer, filter.data.buffer]);
    const problems: string[] = [];
    for (const [name, result] of results) {
      const views = viewsIn(result);
      if (views.length === 0) problems.push(`${name}: no typed array in the result`);
      for (const view of views) {
        const why = checkOrdinary(view, inputs);
        if (why !== null) problems.push(`${name}: ${why}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('writes into a caller-owned out array in place (no replacement buffer)', () => {
    const weights = { dtype: 'int8' as const, shape: [3, 4], data: Int8Array.of(1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8), scale: 0.1, zeroPoint: 0 };
    const p = q.createFullyConnected({ weights, bias: null, input: { scale: 0.5, zeroPoint: 0 }, output: { scale: 0.25, zeroPoint: 0 } });
    const out = new Int8Array(6);
    const r = p.run(Int8Array.of(1, 1, 1, 1, 2, 2, 2, 2), undefined, out);
    p.dispose();
    expect(r.data).toBe(out);
    expect(Array.from(out)).not.toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('the native glue never creates external buffers', () => {
  const glueDir = path.join(ROOT, 'native', 'napi');
  const sources = fs.readdirSync(glueDir).filter((f) => /\.(cc|cpp|h|hpp)$/.test(f));

  it('has glue sources to check', () => {
    expect(sources.length).toBeGreaterThanOrEqual(4);
  });

  // Whatever holds JS-visible bytes must be allocated by V8: TypedArray::New(env, length) /
  // ArrayBuffer::New(env, byteLength) / Buffer::Copy. Forbidden: external data handed to JS.
  const FORBIDDEN: Array<[RegExp, string]> = [
    [/napi_create_external_arraybuffer/, 'napi_create_external_arraybuffer'],
    [/napi_create_external_buffer/, 'napi_create_external_buffer'],
    [/napi_create_buffer\b/, 'napi_create_buffer (use JS-allocated typed arrays)'],
    [/ArrayBuffer::New\s*\(\s*[^,()]+,\s*[^,()]+,/, 'Napi::ArrayBuffer::New with external data'],
    [/ArrayBuffer::New\s*\(\s*[^,()]+,\s*[^,()]*(data|ptr|\.get\(\)|&)/i, 'Napi::ArrayBuffer::New over a native pointer'],
    [/Buffer\s*<[^>]*>\s*::\s*New\s*\(\s*[^,()]+,\s*[^,()]+,/, 'Napi::Buffer<T>::New with external data'],
    [/Buffer\s*<[^>]*>\s*::\s*NewOrCopy/, 'Napi::Buffer<T>::NewOrCopy (external when allowed)'],
    [/node::Buffer::New\s*\(/, 'node::Buffer::New'],
  ];

  {
    it('no source in native/napi calls an external-buffer API', () => {
      const hits: string[] = [];
      for (const name of sources) {
        const text = fs.readFileSync(path.join(glueDir, name), 'utf8').replace(/\/\/[^\n]*/g, '');
        for (const [pattern, what] of FORBIDDEN) {
          const m = pattern.exec(text);
          if (m) hits.push(`${name}: ${what}: ${m[0]}`);
        }
      }
      expect(hits).toEqual([]);
    });
  }

  it('the addon binaries do not import napi_create_external_arraybuffer / napi_create_external_buffer', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loadedPath = (require('node-gyp-build') as { path: (dir: string) => string }).path(ROOT);
    const candidates = new Set<string>([loadedPath]);
    for (const dir of [path.join(ROOT, 'build', 'Release'), ...(fs.existsSync(path.join(ROOT, 'prebuilds')) ? fs.readdirSync(path.join(ROOT, 'prebuilds')).map((d) => path.join(ROOT, 'prebuilds', d)) : [])]) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) if (f.endsWith('.node')) candidates.add(path.join(dir, f));
    }
    const checked: string[] = [];
    for (const file of candidates) {
      const bytes = fs.readFileSync(file);
      // imported symbols are named in the dynamic string table (kept by --strip-all); the sanity probe makes
      // sure this is a Node-API binary whose imports are visible at all
      expect(bytes.includes('napi_create_typedarray') || bytes.includes('napi_get_typedarray_info')).toBe(true);
      for (const sym of ['napi_create_external_arraybuffer', 'napi_create_external_buffer']) {
        expect({ file: path.relative(ROOT, file), imports: bytes.includes(sym) ? sym : null }).toEqual({ file: path.relative(ROOT, file), imports: null });
      }
      checked.push(path.relative(ROOT, file));
    }
    expect(checked.length).toBeGreaterThanOrEqual(1);
  });
});
