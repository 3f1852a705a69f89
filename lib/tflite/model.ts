// loadTflite and the TfliteModel it returns: parses and checks the file, builds one node per operator,
// plans the activation arena (lifetimes, greedy reuse, RESHAPE as an alias, PADs folded into the next conv's
// padding), binds every node to its views once, and runs them in order; run/runAsync/inspect only copy the
// inputs in and the outputs out.
import * as fs from 'fs';
import * as os from 'os';
import { loaded } from '../binding';
import type { Kernels } from '../kernels';
import { kernels } from '../kernels';
import { profileArg } from '../quant/profile';
import type { FTensor, Profile, QTensor } from '../types';
import { finiteArg, integerArg, optionsArg, rangeError, typeError } from '../validate';
import { buildNode, DType, foldedPad, Node, Step, TensorSpec, Views } from './ops';
import { parseModel, RawModel } from './parse';
import { ARENA_ALIGNMENT, planArena } from './planner';
import { TensorType, tensorTypeName } from './schema';

/** A model input or output. Float32 tensors report scale 1 and zero point 0. */
export interface TensorInfo {
  name: string;
  /** The tensor's index in the model's subgraph. */
  index: number;
  shape: readonly number[];
  dtype: 'int8' | 'uint8' | 'float32';
  scale: number;
  zeroPoint: number;
}

export type TfliteInput = Int8Array | Uint8Array | Float32Array;
export type TfliteOutput = Int8Array | Uint8Array | Float32Array;

/** One intermediate tensor after its operator ran (a copy). */
export type InspectedTensor =
  | { name: string; index: number; op: string; opIndex: number; dtype: 'int8' | 'uint8'; tensor: QTensor }
  | { name: string; index: number; op: string; opIndex: number; dtype: 'float32'; tensor: FTensor };

export interface TfliteLoadOptions {
  /**
   * The integer arithmetic (default 'tflite-ref'): of conv / depthwise / FC and of QUANTIZE int8 -> int8; MEAN and
   * LOGISTIC round singly under 'tflite-single' (as 'tflite-ref' otherwise); ADD and SOFTMAX are TFLite's reference
   * arithmetic in every profile, as the public add and softmax.
   */
  profile?: Profile;
  /** Threads a native call may use while this model runs (default: the process setting, see setThreads). */
  threads?: number;
  /**
   * runAsync: how long, in milliseconds, the layers that compute on the calling thread may hold the event loop before
   * it yields a turn (default 2; 0 yields after every such layer). Layers on the addon's threads never hold it.
   */
  yieldMs?: number;
}

export interface TfliteModel {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** The profile the model was prepared with. */
  readonly profile: Profile;
  /** Bytes of the activation arena (every run-time tensor, with reuse). */
  readonly arenaBytes: number;
  /** One array per model input: codes (Int8Array / Uint8Array, copied as bytes) or floats (quantized with the input's parameters). */
  run(inputs: readonly TfliteInput[]): TfliteOutput[];
  /** run, with conv / depthwise / FC on the addon's worker threads; calls are queued, one at a time. */
  runAsync(inputs: readonly TfliteInput[]): Promise<TfliteOutput[]>;
  /** run, returning a copy of every operator output in execution order. */
  inspect(inputs: readonly TfliteInput[]): InspectedTensor[];
  /** Frees the prepared layers (after a runAsync in flight); every later call throws or rejects. */
  dispose(): void;
}

/** runAsync gives the event loop a turn at least this often (milliseconds) between layers. */
const DEFAULT_YIELD_MS = 2;

/** Views into the arena and the constants, made once at load. */
type View = Int8Array | Uint8Array | Float32Array;

function dtypeOf(type: TensorType): DType | null {
  switch (type) {
    case TensorType.INT8: return 'int8';
    case TensorType.UINT8: return 'uint8';
    case TensorType.FLOAT32: return 'float32';
    case TensorType.INT32: return 'int32';
    default: return null;
  }
}

function byteSize(t: TensorSpec): number {
  return t.dtype === 'float32' || t.dtype === 'int32' ? 4 * t.numel : t.numel;
}

function labelOf(index: number, name: string): string {
  return name === '' ? `tensor ${index}` : `tensor ${index} '${name}'`;
}

function makeView(dtype: DType | null, buffer: ArrayBuffer, offset: number, numel: number): View {
  if (dtype === 'float32') return new Float32Array(buffer, offset, numel);
  if (dtype === 'uint8') return new Uint8Array(buffer, offset, numel);
  return new Int8Array(buffer, offset, numel);
}

/** The largest activation arena accepted (a sanity cap against corrupted shapes). */
export const MAX_ARENA_BYTES = 512 * 2 ** 20;

class Model implements TfliteModel {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly arenaBytes: number;
  private readonly nodes: Node[];
  private readonly steps: Step[];
  /** Per node: how inspect() computes the outputs of a node run() skips (a folded PAD), else null. */
  private readonly inspectors: Array<(() => Int8Array) | null>;
  private readonly views: Map<number, View>;
  private readonly quantParams: ReadonlyArray<{ scale: Float32Array; zeroPoint: Int32Array }>;
  private disposed = false;
  private busy = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly specs: readonly TensorSpec[];

  constructor(specs: readonly TensorSpec[], raw: RawModel, nodes: Node[], readonly profile: Profile, private readonly threads: number | undefined,
    private readonly yieldMs: number) {
    this.nodes = nodes;
    // no reference to the model file is kept: the prepared layers own their weights, constants read at run time are copied
    this.specs = specs.map((t) => ({ ...t, constant: null }));
    const info = (i: number): TensorInfo => {
      const t = specs[i];
      const q = t.quantization;
      const quantized = t.dtype === 'int8' || t.dtype === 'uint8';
      return Object.freeze({
        name: t.name, index: i, shape: Object.freeze(t.shape.slice()), dtype: t.dtype as TensorInfo['dtype'],
        scale: quantized && q !== null ? Math.fround(q.scale[0]) : 1, zeroPoint: quantized && q !== null && q.zeroPoint.length > 0 ? q.zeroPoint[0] : 0,
      });
    };
    this.inputs = Object.freeze(raw.inputs.map(info));
    this.outputs = Object.freeze(raw.outputs.map(info));
    this.quantParams = this.inputs.map((t) => ({ scale: Float32Array.of(t.scale), zeroPoint: Int32Array.of(t.zeroPoint) }));
    const { views, arenaBytes } = allocate(specs, raw, nodes);
    this.views = views;
    this.arenaBytes = arenaBytes;
    const v: Views = {
      bytes: (t) => views.get(t) as Int8Array | Uint8Array,
      int8: (t) => views.get(t) as Int8Array,
      float32: (t) => views.get(t) as Float32Array,
    };
    this.steps = nodes.map((n) => n.bind(v));
    this.inspectors = nodes.map((n) => (n.bindInspect === undefined ? null : n.bindInspect(v)));
  }

  /** Checks the call and every input (types, lengths) without touching the arena; returns the active kernels. */
  private check(fn: string, inputs: unknown): Kernels {
    if (this.disposed) throw new Error(`${fn}: the model was disposed`);
    if (!Array.isArray(inputs)) throw typeError(fn, 'inputs', `an array of ${this.inputs.length} typed arrays (one per model input)`, inputs);
    if (inputs.length !== this.inputs.length) {
      throw rangeError(fn, 'inputs', `an array of ${this.inputs.length} typed array${this.inputs.length === 1 ? '' : 's'} (one per model input)`, inputs);
    }
    inputs.forEach((x: unknown, i) => {
      const info = this.inputs[i];
      const arg = `inputs[${i}]`;
      const n = (this.views.get(info.index) as View).length;
      const expected = info.dtype === 'float32' ? 'a Float32Array' : 'an Int8Array, a Uint8Array (codes) or a Float32Array (values to quantize)';
      if (!(x instanceof Int8Array || x instanceof Uint8Array || x instanceof Float32Array)) throw typeError(fn, arg, `${expected} for ${info.name || `input ${i}`}`, x);
      if (info.dtype === 'float32' && !(x instanceof Float32Array)) throw typeError(fn, arg, 'a Float32Array (the input is FLOAT32)', x);
      if (x.length !== n) throw rangeError(fn, arg, `of length ${n} for shape [${info.shape.join(',')}]`, x);
    });
    return kernels();
  }

  /** Copies checked inputs into their tensors (floats quantized with the tensor's parameters). */
  private feed(fn: string, inputs: readonly TfliteInput[], k: Kernels): void {
    inputs.forEach((x, i) => {
      const info = this.inputs[i];
      const view = this.views.get(info.index) as View;
      if (view instanceof Float32Array) {
        view.set(x);
        return;
      }
      if (x instanceof Float32Array) {
        const [qmin, qmax] = info.dtype === 'int8' ? [-128, 127] : [0, 255];
        const p = this.quantParams[i];
        const nans = k.quantize(x, p.scale, p.zeroPoint, 1, 1, view.length, qmin, qmax, 0, view);
        if (nans > 0) throw rangeError(fn, `inputs[${i}]`, 'free of NaN', `${nans} NaN values`);
        return;
      }
      // codes: the bytes as they are (an Int8Array for a uint8 input is reinterpreted, as a memcpy would)
      if ((x instanceof Int8Array) === (view instanceof Int8Array)) view.set(x);
      else new Uint8Array(view.buffer, view.byteOffset, view.length).set(new Uint8Array(x.buffer, x.byteOffset, x.length));
    });
  }

  private start(fn: string, inputs: readonly TfliteInput[]): Kernels {
    const k = this.check(fn, inputs);
    if (this.busy) throw new Error(`${fn}: a runAsync call of this model is in progress; await it first`);
    this.feed(fn, inputs, k);
    return k;
  }

  private collect(): TfliteOutput[] {
    return this.outputs.map((o) => (this.views.get(o.index) as View).slice());
  }

  private withThreads<T>(body: () => T): T {
    const native = loaded.native;
    if (this.threads === undefined || native === null) return body();
    const previous = native.info().threads;
    native.setThreads(this.threads);
    try {
      return body();
    } finally {
      native.setThreads(previous);
    }
  }

  run(inputs: readonly TfliteInput[]): TfliteOutput[] {
    const k = this.start('run', inputs);
    return this.withThreads(() => {
      for (const s of this.steps) s.run(k);
      return this.collect();
    });
  }

  inspect(inputs: readonly TfliteInput[]): InspectedTensor[] {
    const k = this.start('inspect', inputs);
    return this.withThreads(() => {
      const out: InspectedTensor[] = [];
      for (let i = 0; i < this.steps.length; i++) {
        this.steps[i].run(k);
        const node = this.nodes[i];
        const computed = this.inspectors[i];
        for (const t of node.writes) out.push(this.snapshot(t, node, computed === null ? null : computed()));
      }
      return out;
    });
  }

  /** A copy of tensor `index` after `node` ran, or `computed` (a fresh array) for a node run() skips. */
  private snapshot(index: number, node: Node, computed: Int8Array | null): InspectedTensor {
    const t = this.specs[index];
    const data = computed ?? (this.views.get(index) as View).slice();
    const base = { name: t.name, index, op: node.name, opIndex: node.index };
    const shape = Object.freeze(t.shape.slice());
    if (data instanceof Float32Array) return { ...base, dtype: 'float32', tensor: { shape, data } };
    const q = t.quantization;
    const dtype = data instanceof Int8Array ? 'int8' : 'uint8';
    return {
      ...base, dtype,
      tensor: { dtype, shape, data, scale: q === null ? 1 : Math.fround(q.scale[0]), zeroPoint: q === null || q.zeroPoint.length === 0 ? 0 : q.zeroPoint[0] },
    };
  }

  runAsync(inputs: readonly TfliteInput[]): Promise<TfliteOutput[]> {
    let k: Kernels;
    try {
      // the kernels are those active at the call; the inputs are read when this call's turn comes
      k = this.check('runAsync', inputs);
    } catch (err) {
      return Promise.reject(err);
    }
    const result = this.queue.then(async () => {
      if (this.disposed) throw new Error('runAsync: the model was disposed');
      this.feed('runAsync', inputs, k);
      this.busy = true;
      const native = loaded.native;
      const previous = this.threads !== undefined && native !== null ? native.info().threads : undefined;
      try {
        if (previous !== undefined) native?.setThreads(this.threads as number);
        // layers on the addon's threads free the loop while they compute; the others run here, so yield a turn of
        // the event loop whenever they have held it for longer than yieldMs
        let since = performance.now();
        for (const s of this.steps) {
          await s.runAsync(k);
          if (performance.now() - since >= this.yieldMs) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            since = performance.now();
          }
        }
        return this.collect();
      } finally {
        if (previous !== undefined) native?.setThreads(previous);
        this.busy = false;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // a runAsync in flight finishes first (queued ones that have not started reject)
    const release = (): void => {
      for (const n of this.nodes) n.dispose();
    };
    if (this.busy) void this.queue.then(release);
    else release();
  }
}

/**
 * Storage for every tensor a node reads or writes: constants read at run time get a copy of their own;
 * run-time tensors share one arena by lifetime (a RESHAPE output is its input's storage). The output of a
 * folded PAD has none: no node reads it, and inspect() computes it into an array of its own.
 */
function allocate(specs: readonly TensorSpec[], raw: RawModel, nodes: Node[]): { views: Map<number, View>; arenaBytes: number } {
  const views = new Map<number, View>();
  // storage roots: an alias maps to the tensor whose bytes it shares
  const root = new Map<number, number>();
  const rootOf = (t: number): number => root.get(t) ?? t;
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const touch = (t: number, step: number): void => {
    const r = rootOf(t);
    if (!first.has(r)) first.set(r, step);
    last.set(r, Math.max(last.get(r) ?? step, step));
  };
  for (const t of raw.inputs) touch(t, -1);
  nodes.forEach((n, step) => {
    for (const t of n.reads) if (specs[t].constant === null) touch(t, step);
    if (n.aliasOf !== undefined && specs[n.aliasOf].constant === null) root.set(n.writes[0], rootOf(n.aliasOf));
    if (n.bindInspect === undefined) for (const t of n.writes) touch(t, step);
  });
  for (const t of raw.outputs) touch(t, nodes.length);
  const roots = [...first.keys()];
  const plan = planArena(roots.map((r) => ({ size: byteSize(specs[r]), first: first.get(r) as number, last: last.get(r) as number })));
  if (plan.size > MAX_ARENA_BYTES) {
    const big = roots.reduce((a, r) => (byteSize(specs[r]) > byteSize(specs[a]) ? r : a), roots[0]);
    throw new RangeError(`loadTflite: the activations need ${plan.size} bytes, more than the ${MAX_ARENA_BYTES} supported ` +
      `(the largest is ${specs[big].label} of shape [${specs[big].shape.join(',')}])`);
  }
  // The arena starts on a 64-byte line, so every tensor does (their offsets are multiples of ARENA_ALIGNMENT) and
  // the SIMD kernels' 64-byte loads each stay in one line. An ArrayBuffer starts only 16-byte aligned.
  const arena = new ArrayBuffer(plan.size + ARENA_ALIGNMENT);
  const start = loaded.native ? loaded.native.alignmentPadding(arena, ARENA_ALIGNMENT) : 0;
  const offsets = new Map<number, number>();
  roots.forEach((r, i) => offsets.set(r, plan.offsets[i]));
  const viewFor = (t: number): View => {
    const s = specs[t];
    if (s.constant !== null) {
      // a constant read at run time (e.g. an ADD operand): its own aligned copy
      const copy = new ArrayBuffer(Math.max(s.constant.length, 4));
      new Uint8Array(copy).set(s.constant);
      return makeView(s.dtype, copy, 0, s.numel);
    }
    return makeView(s.dtype, arena, start + (offsets.get(rootOf(t)) as number), s.numel);
  };
  const need = new Set<number>([...raw.inputs, ...raw.outputs]);
  for (const n of nodes) for (const t of [...n.reads, ...(n.bindInspect === undefined ? n.writes : [])]) need.add(t);
  for (const t of need) views.set(t, viewFor(t));
  return { views, arenaBytes: plan.size };
}

/** Checks the graph: tensor types, inputs and outputs, and that every tensor is written once before it is read. */
function checkGraph(specs: readonly TensorSpec[], raw: RawModel): void {
  const available = new Set<number>();
  for (const [i, t] of raw.inputs.entries()) {
    const s = specs[t];
    if (s.constant !== null) throw new RangeError(`loadTflite: model input ${i} (${s.label}) is a constant tensor`);
    if (s.dtype !== 'int8' && s.dtype !== 'uint8' && s.dtype !== 'float32') {
      throw new RangeError(`loadTflite: model input ${i} (${s.label}) is ${tensorTypeName(s.type)}; INT8, UINT8 or FLOAT32 is supported`);
    }
    if (available.has(t)) throw new RangeError(`loadTflite: model input ${i} (${s.label}) is listed twice`);
    available.add(t);
  }
  for (const op of raw.operators) {
    for (const t of op.inputs) {
      if (t < 0) continue;
      const s = specs[t];
      if (s.isVariable) throw new RangeError(`loadTflite: operator ${op.index} (${op.name}) reads variable ${s.label}, which is not supported`);
      if (s.sparse) throw new RangeError(`loadTflite: operator ${op.index} (${op.name}) reads sparse ${s.label}, which is not supported`);
      if (s.constant === null && !available.has(t)) {
        throw new RangeError(`loadTflite: operator ${op.index} (${op.name}) reads ${s.label} before any operator writes it`);
      }
    }
    for (const t of op.outputs) {
      const s = specs[t];
      if (s.constant !== null) throw new RangeError(`loadTflite: operator ${op.index} (${op.name}) writes constant ${s.label}`);
      if (available.has(t)) throw new RangeError(`loadTflite: operator ${op.index} (${op.name}) writes ${s.label}, which was already written`);
      available.add(t);
    }
  }
  for (const [i, t] of raw.outputs.entries()) {
    const s = specs[t];
    if (!available.has(t)) throw new RangeError(`loadTflite: model output ${i} (${s.label}) is never written`);
    if (s.dtype !== 'int8' && s.dtype !== 'uint8' && s.dtype !== 'float32') {
      throw new RangeError(`loadTflite: model output ${i} (${s.label}) is ${tensorTypeName(s.type)}; INT8, UINT8 or FLOAT32 is supported`);
    }
  }
}

/** Builds the model from bytes (parsing, checks, nodes, arena). */
export function buildModel(bytes: Uint8Array, opts: TfliteLoadOptions = {}): TfliteModel {
  const fn = 'loadTflite';
  const o = optionsArg(fn, 'opts', opts);
  const profile = profileArg(fn, 'opts.profile', o.profile);
  const threads = o.threads === undefined ? undefined : integerArg(fn, 'opts.threads', o.threads, 1, 1024);
  const yieldMs = o.yieldMs === undefined ? DEFAULT_YIELD_MS : finiteArg(fn, 'opts.yieldMs', o.yieldMs);
  if (yieldMs < 0) throw rangeError(fn, 'opts.yieldMs', 'a number of milliseconds >= 0', yieldMs);
  if (os.endianness() !== 'LE') throw new Error('loadTflite: TFLite models are little-endian; this platform is big-endian');
  const raw = parseModel(bytes);
  const specs: TensorSpec[] = raw.tensors.map((t) => ({
    index: t.index, name: t.name, label: labelOf(t.index, t.name), shape: Object.freeze(t.shape.slice()), type: t.type,
    dtype: dtypeOf(t.type), numel: t.numel, constant: t.data, quantization: t.quantization, isVariable: t.isVariable, sparse: t.sparse,
  }));
  checkGraph(specs, raw);
  // how many operator inputs read each tensor (a model output counts as one more), to find the PADs that can fold
  const readers = new Map<number, number>();
  for (const op of raw.operators) for (const t of op.inputs) if (t >= 0) readers.set(t, (readers.get(t) ?? 0) + 1);
  for (const t of raw.outputs) readers.set(t, (readers.get(t) ?? 0) + 1);
  const nodes: Node[] = [];
  const writer = new Map<number, number>();
  const foldablePad = (t: number): Node | null => {
    const at = writer.get(t);
    return at !== undefined && nodes[at].pad !== undefined && readers.get(t) === 1 ? nodes[at] : null;
  };
  const ctx = { tensors: specs, profile, kernels: kernels(), foldablePad };
  try {
    for (const op of raw.operators) {
      const node = buildNode(op, ctx);
      if (node.foldsPad !== undefined) {
        const at = nodes.findIndex((n) => n.index === node.foldsPad);
        nodes[at] = foldedPad(nodes[at]);
      }
      for (const t of node.writes) writer.set(t, nodes.length);
      nodes.push(node);
    }
    return new Model(specs, raw, nodes, profile, threads, yieldMs);
  } catch (err) {
    for (const n of nodes) n.dispose();
    throw err;
  }
}

/**
 * Loads a .tflite model (a path, or the file's bytes) and prepares it to run: every operator is checked
 * and its weights packed once; anything the runtime does not reproduce exactly is refused here.
 */
export async function loadTflite(src: string | Uint8Array | ArrayBuffer, opts?: TfliteLoadOptions): Promise<TfliteModel> {
  let bytes: Uint8Array;
  if (typeof src === 'string') {
    try {
      bytes = new Uint8Array(await fs.promises.readFile(src));
    } catch (err) {
      throw new Error(`loadTflite: cannot read ${src}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else if (src instanceof Uint8Array) {
    bytes = src;
  } else if (src instanceof ArrayBuffer) {
    bytes = new Uint8Array(src);
  } else {
    throw typeError('loadTflite', 'src', 'a file path, a Uint8Array or an ArrayBuffer', src);
  }
  return buildModel(bytes, opts);
}
