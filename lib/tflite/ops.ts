// One builder per supported TFLite operator: checks its tensors, version and options (refusing at load what the
// runtime does not reproduce, naming operator, index and option), prepares its parameters once (prepared conv /
// depthwise / FC ops, kernel geometry, multipliers), and returns a node that runs on bound views without allocating.
import type { ByteArray } from '../../binding';
import type { Kernels } from '../kernels';
import type { Activation, ConvPadding, ExplicitPadding, Padding, Profile, QTensor } from '../types';
import { outputClamp, SpatialGeometry, spatialGeometry, TensorParams, WindowSpec } from '../ops/common';
import { ADD_RANK, SoftmaxField } from '../ops/geometry';
import { poolGeometry } from '../ops/pool';
import { addGeometry, broadcastAddShapes } from '../ops/add';
import { effectiveFilterSize, outputSize } from '../ops/padding';
import { bindPrepared, createConv2d, createDepthwiseConv2d, createFullyConnected, PreparedFullyConnectedParams, PreparedOp } from '../ops/prepared';
import { profileId } from '../quant/profile';
import {
  ConcatPart, concatRescale, concatenate, logisticTable, lookup, mean, MeanPlan, pad, PadPlan, planMean, planPad, planTranspose, RANK, transpose,
} from './kernels';
import type { RawOperator, RawQuantization } from './parse';
import type { Table } from './reader';
import { ACTIVATION_NAMES, MAX_VERSION, Op, Options, PADDING_NAMES, Slot, TensorType, tensorTypeName, WEIGHTS_FORMAT_NAMES } from './schema';

export type DType = 'int8' | 'uint8' | 'float32' | 'int32';

/** A tensor of the graph as the builders see it. */
export interface TensorSpec {
  index: number;
  name: string;
  /** "tensor 5 'name'", for messages. */
  label: string;
  shape: readonly number[];
  type: TensorType;
  /** null for the types the runtime does not compute with. */
  dtype: DType | null;
  numel: number;
  /** The constant data (a view into the model bytes), or null. */
  constant: Uint8Array | null;
  quantization: RawQuantization | null;
  isVariable: boolean;
  sparse: boolean;
}

/** Typed views of the tensors a bound node reads and writes. */
export interface Views {
  bytes(t: number): ByteArray;
  int8(t: number): Int8Array;
  float32(t: number): Float32Array;
}

/** A node bound to its tensors. */
export interface Step {
  run(k: Kernels): void;
  runAsync(k: Kernels): Promise<void>;
}

export interface Node {
  index: number;
  name: string;
  /** Tensors read at run time (constants among them get their own storage). */
  reads: number[];
  writes: number[];
  /** RESHAPE: the output shares the input's storage and the node does nothing. */
  aliasOf?: number;
  /** PAD / PADV2: what it pads, for a convolution that may fold it into its own padding. */
  pad?: PadSpec;
  /** A convolution that folded the PAD writing its input into its own padding: that PAD's operator index. */
  foldsPad?: number;
  /**
   * Set on a PAD folded into the convolution that reads its output (see foldedPad): run() skips the node and its
   * output gets no storage; inspect() computes the output with the function this binds, into a fresh array.
   */
  bindInspect?: (v: Views) => () => Int8Array;
  bind(v: Views): Step;
  dispose(): void;
}

/** A PAD / PADV2 as a convolution sees it: input tensor, padding per dimension, value. */
export interface PadSpec {
  input: number;
  before: readonly number[];
  after: readonly number[];
  value: number;
  plan: PadPlan;
}

export interface BuildContext {
  tensors: readonly TensorSpec[];
  profile: Profile;
  /** The kernels used to derive multipliers at load (identical results on every backend). */
  kernels: Kernels;
  /**
   * The PAD node that writes tensor `t`, when its output may be folded away: read by exactly one operator input
   * and not a model output. null otherwise.
   */
  foldablePad(t: number): Node | null;
}

const SUPPORTED_ACTIVATIONS = 'NONE, RELU, RELU6, RELU_N1_TO_1';
const OUTPUT_SCALE_1_256 = 1 / 256;

function sync(run: (k: Kernels) => void): Step {
  return {
    run,
    runAsync: (k) => {
      run(k);
      return Promise.resolve();
    },
  };
}

/** A node that computes its one int8 output from its one int8 input on the calling thread. */
function int8Node(c: OpCheck, input: TensorSpec, output: TensorSpec, run: (k: Kernels, x: Int8Array, out: Int8Array) => void,
  extra: Pick<Node, 'pad'> = {}): Node {
  return {
    index: c.op.index, name: c.op.name, reads: [input.index], writes: [output.index], ...extra,
    bind: (v) => {
      const x = v.int8(input.index);
      const out = v.int8(output.index);
      return sync((k) => run(k, x, out));
    },
    dispose: () => undefined,
  };
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function int8View(bytes: Uint8Array): Int8Array {
  return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Little-endian int32 values of a constant (a view when aligned, else a copy). */
function int32View(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  return new Int32Array(bytes.slice().buffer);
}

/** Checks of one operator; every message names the operator and its index. */
class OpCheck {
  constructor(readonly op: RawOperator, readonly ctx: BuildContext) {}

  fail(detail: string): RangeError {
    return new RangeError(`loadTflite: operator ${this.op.index} (${this.op.name}): ${detail}`);
  }

  counts(minInputs: number, maxInputs: number, outputs: number): void {
    const n = this.op.inputs.length;
    if (n < minInputs || n > maxInputs) {
      throw this.fail(`has ${n} inputs, expected ${minInputs === maxInputs ? minInputs : `${minInputs} to ${maxInputs}`}`);
    }
    if (this.op.outputs.length !== outputs) throw this.fail(`has ${this.op.outputs.length} outputs, expected ${outputs}`);
  }

  input(i: number, role: string): TensorSpec {
    const t = this.op.inputs[i];
    if (t === undefined || t < 0) throw this.fail(`input ${i} (${role}) is missing`);
    return this.ctx.tensors[t];
  }

  optionalInput(i: number): TensorSpec | null {
    const t = this.op.inputs[i];
    return t === undefined || t < 0 ? null : this.ctx.tensors[t];
  }

  output(i: number): TensorSpec {
    return this.ctx.tensors[this.op.outputs[i]];
  }

  /** An activation tensor: one of `dtypes`, computed at run time (unless `allowConstant`), per-tensor parameters. */
  activation(t: TensorSpec, role: string, dtypes: readonly DType[] = ['int8'], allowConstant = false): TensorParams {
    if (t.dtype === null || !dtypes.includes(t.dtype)) {
      throw this.fail(`${role} ${t.label} is ${tensorTypeName(t.type)}; supported: ${dtypes.map((d) => d.toUpperCase()).join(', ')}`);
    }
    if (t.constant !== null && !allowConstant) throw this.fail(`${role} ${t.label} is a constant; a tensor computed at run time is expected`);
    if (t.numel === 0) throw this.fail(`${role} ${t.label} has shape ${shapeText(t.shape)} with no elements`);
    if (t.dtype === 'float32' || t.dtype === 'int32') return { scale: 1, zeroPoint: 0 };
    const q = t.quantization;
    if (q === null || q.scale.length === 0) throw this.fail(`${role} ${t.label} has no quantization parameters`);
    if (q.scale.length !== 1 || q.zeroPoint.length > 1) {
      throw this.fail(`${role} ${t.label} is quantized per channel (${q.scale.length} scales); activations must be per-tensor`);
    }
    const scale = Math.fround(q.scale[0]);
    if (!(scale > 0 && scale < Infinity)) throw this.fail(`${role} ${t.label} has scale ${q.scale[0]}; a finite scale > 0 is expected`);
    const zeroPoint = q.zeroPoint.length === 0 ? 0 : q.zeroPoint[0];
    const [lo, hi] = t.dtype === 'int8' ? [-128, 127] : [0, 255];
    if (!(zeroPoint >= lo && zeroPoint <= hi)) throw this.fail(`${role} ${t.label} has zero point ${zeroPoint}, outside [${lo}, ${hi}]`);
    return { scale, zeroPoint };
  }

  rank(t: TensorSpec, role: string, rank: number, layout: string): void {
    if (t.shape.length !== rank) throw this.fail(`${role} ${t.label} has shape ${shapeText(t.shape)}; rank ${rank} (${layout}) is expected`);
  }

  maxRank(t: TensorSpec, role: string, rank: number): void {
    if (t.shape.length > rank) throw this.fail(`${role} ${t.label} has rank ${t.shape.length}; at most ${rank} is supported`);
  }

  constant(t: TensorSpec, role: string): Uint8Array {
    if (t.constant === null) throw this.fail(`${role} ${t.label} must be a constant tensor (its data in the model)`);
    return t.constant;
  }

  /** The values of a constant INT32 (or INT64) tensor. */
  intValues(t: TensorSpec, role: string): number[] {
    const data = this.constant(t, role);
    if (t.type === TensorType.INT32) return Array.from(int32View(data));
    if (t.type === TensorType.INT64) {
      const out: number[] = [];
      const view = new DataView(data.buffer, data.byteOffset, data.length);
      for (let i = 0; i < t.numel; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) throw this.fail(`${role} ${t.label} holds ${v}, beyond int32`);
        out.push(Number(v));
      }
      return out;
    }
    throw this.fail(`${role} ${t.label} is ${tensorTypeName(t.type)}; INT32 is expected`);
  }

  sameParams(a: TensorParams, b: TensorParams, what: string): void {
    if (a.scale !== b.scale || a.zeroPoint !== b.zeroPoint) {
      throw this.fail(`${what}: input scale ${a.scale} / zero point ${a.zeroPoint} and output scale ${b.scale} / zero point ${b.zeroPoint} must be equal`);
    }
  }

  outputShape(t: TensorSpec, expected: readonly number[]): void {
    if (!sameShape(t.shape, expected)) throw this.fail(`output ${t.label} has shape ${shapeText(t.shape)}, but the operator computes ${shapeText(expected)}`);
  }

  /** The options table; it must be of the operator's type (or absent, when `required` is false). */
  options(expected: Options, typeName: string, required: boolean): Table | null {
    const { optionsType, options } = this.op;
    if (optionsType !== Options.NONE && optionsType !== expected) {
      throw this.fail(`has builtin_options of union type ${optionsType}; ${typeName} (${expected}) is expected`);
    }
    if (optionsType === Options.NONE || options === null) {
      if (required) throw this.fail(`has no builtin_options (${typeName} is required)`);
      return null;
    }
    return options;
  }

  activationOption(t: Table | null, slot: number): Activation {
    const v = t === null ? 0 : t.int8(slot, 'fused_activation_function', 0);
    const name = ACTIVATION_NAMES[v];
    if (name === 'NONE' || name === 'RELU' || name === 'RELU6' || name === 'RELU_N1_TO_1') return name;
    throw this.fail(`option fused_activation_function ${name ?? v} is not supported (supported: ${SUPPORTED_ACTIVATIONS})`);
  }

  paddingOption(t: Table | null, slot: number): Padding {
    const v = t === null ? 0 : t.int8(slot, 'padding', 0);
    const name = PADDING_NAMES[v];
    if (name === undefined) throw this.fail(`option padding ${v} is not supported (supported: SAME, VALID)`);
    return name;
  }

  /** An int option that must be >= 1 (strides, dilations, filter sizes). */
  positiveOption(t: Table | null, slot: number, name: string, fallback: number): number {
    const v = t === null ? fallback : t.int32(slot, name, fallback);
    if (!(v >= 1)) throw this.fail(`option ${name} is ${v}; an integer >= 1 is expected`);
    return v;
  }

  biasTypeOption(t: Table | null, slot: number): void {
    const v = t === null ? 0 : t.int8(slot, 'quantized_bias_type', 0);
    if (v !== 0 && v !== TensorType.INT32) throw this.fail(`option quantized_bias_type ${tensorTypeName(v)} is not supported (INT32 only)`);
  }

  /**
   * Calls a public-op constructor on `arg`, its errors prefixed with this operator. (An argument rather than a closure:
   * the builder's context then keeps no reference to the weights, which are views into the model file.)
   */
  wrap<A, T>(make: (arg: A) => T, arg: A): T {
    try {
      return make(arg);
    } catch (err) {
      if (err instanceof Error) throw this.fail(err.message);
      throw err;
    }
  }
}

/** Int8 weights as a QTensor view (no copy): symmetric, per-tensor or per-channel along `axis`. */
function weightsTensor(c: OpCheck, t: TensorSpec, role: string, axis: number, channels: number): QTensor {
  if (t.dtype !== 'int8') throw c.fail(`${role} ${t.label} is ${tensorTypeName(t.type)}; INT8 weights are expected`);
  const data = c.constant(t, role);
  const q = t.quantization;
  if (q === null || q.scale.length === 0) throw c.fail(`${role} ${t.label} has no quantization parameters`);
  const n = q.scale.length;
  if (n !== 1 && n !== channels) throw c.fail(`${role} ${t.label} has ${n} scales; 1 or ${channels} (one per output channel) are expected`);
  if (q.zeroPoint.length !== 0 && q.zeroPoint.length !== 1 && q.zeroPoint.length !== n) {
    throw c.fail(`${role} ${t.label} has ${q.zeroPoint.length} zero points for ${n} scales`);
  }
  for (let i = 0; i < q.zeroPoint.length; i++) {
    if (q.zeroPoint[i] !== 0) throw c.fail(`${role} ${t.label} has zero point ${q.zeroPoint[i]}: asymmetric int8 weights are not supported (zero point 0 only)`);
  }
  for (let i = 0; i < n; i++) {
    const s = Math.fround(q.scale[i]);
    if (!(s > 0 && s < Infinity)) throw c.fail(`${role} ${t.label} has scale ${q.scale[i]}${n > 1 ? ` (channel ${i})` : ''}; a finite scale > 0 is expected`);
  }
  if (n > 1 && q.quantizedDimension !== axis) {
    throw c.fail(`${role} ${t.label} is quantized along dimension ${q.quantizedDimension}; per-channel weights must use dimension ${axis}`);
  }
  const base = { dtype: 'int8' as const, shape: t.shape, data: int8View(data) };
  return n === 1 ? { ...base, scale: q.scale[0], zeroPoint: 0 } : { ...base, scale: Float32Array.from(q.scale), zeroPoint: new Int32Array(n), axis };
}

/** The int32 bias (its quantization parameters are never used: TFLite Micro ignores them too). */
function biasValues(c: OpCheck, t: TensorSpec | null, channels: number): Int32Array | null {
  if (t === null) return null;
  if (t.type !== TensorType.INT32) throw c.fail(`bias ${t.label} is ${tensorTypeName(t.type)}; INT32 is expected`);
  const data = c.constant(t, 'bias');
  if (t.numel !== channels) throw c.fail(`bias ${t.label} has ${t.numel} values for ${channels} output channels`);
  return int32View(data);
}

/** A prepared conv / depthwise / FC layer bound to its arena views: checked once, then only the kernel calls. */
function preparedStep(op: PreparedOp<QTensor>, input: number, output: number, inShape: readonly number[] | undefined, v: Views): Step {
  const bound = bindPrepared(op, v.int8(input), inShape, v.int8(output));
  return { run: (k) => bound.run(k), runAsync: (k) => bound.runAsync(k) };
}

function buildConv(c: OpCheck, depthwise: boolean): Node {
  c.counts(2, 3, 1);
  const input = c.input(0, 'input');
  const filter = c.input(1, 'filter');
  const biasT = c.optionalInput(2);
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  c.rank(input, 'input', 4, 'NHWC');
  c.rank(filter, 'filter', 4, depthwise ? '[1, KH, KW, Cin*M]' : '[Cout, KH, KW, Cin/groups]');
  const o = depthwise ? Slot.DepthwiseConv2DOptions : Slot.Conv2DOptions;
  const t = c.options(depthwise ? Options.DepthwiseConv2D : Options.Conv2D, depthwise ? 'DepthwiseConv2DOptions' : 'Conv2DOptions', true);
  const padding = c.paddingOption(t, o.padding);
  const strides: [number, number] = [c.positiveOption(t, o.strideH, 'stride_h', 0), c.positiveOption(t, o.strideW, 'stride_w', 0)];
  const dilations: [number, number] = [c.positiveOption(t, o.dilationH, 'dilation_h_factor', 1), c.positiveOption(t, o.dilationW, 'dilation_w_factor', 1)];
  const activation = c.activationOption(t, o.activation);
  const [n, h, w, cin] = input.shape;
  const fs = filter.shape;
  let cout: number;
  if (depthwise) {
    if (fs[0] !== 1) throw c.fail(`filter ${filter.label} has shape ${shapeText(fs)}; [1, KH, KW, Cin*M] is expected`);
    cout = fs[3];
    if (cout % cin !== 0) throw c.fail(`filter ${filter.label} has ${cout} channels, not a multiple of the ${cin} input channels`);
    const m = (t as Table).int32(Slot.DepthwiseConv2DOptions.depthMultiplier, 'depth_multiplier', 0);
    if (m !== 0 && m !== cout / cin) throw c.fail(`option depth_multiplier ${m} does not match the shapes (filter channels ${cout} / input channels ${cin} = ${cout / cin})`);
  } else {
    cout = fs[0];
    const cf = fs[3];
    if (cf === 0 || cin % cf !== 0 || cout % (cin / cf) !== 0) {
      throw c.fail(`filter ${filter.label} has shape ${shapeText(fs)}, which does not divide the ${cin} input channels into groups`);
    }
    c.biasTypeOption(t, Slot.Conv2DOptions.quantizedBiasType);
  }
  const oh = outputSize(padding, h, fs[1], strides[0], dilations[0]);
  const ow = outputSize(padding, w, fs[2], strides[1], dilations[1]);
  if (!(oh >= 1 && ow >= 1)) throw c.fail(`input ${input.label} of shape ${shapeText(input.shape)} is smaller than the filter for padding VALID`);
  // the prepared operator's own geometry checks (extent limits), made here rather than at the first run
  const fn = depthwise ? 'depthwiseConv2d' : 'conv2d';
  const window = (p: ConvPadding): WindowSpec => ({ filter: [fs[1], fs[2]], strides, dilations, padding: p });
  c.wrap((spec: WindowSpec) => spatialGeometry(fn, 'input', input.shape, spec, 'opts.dilations'), window(padding));
  c.outputShape(output, [n, oh, ow, cout]);
  // a PAD of height and width by the zero point before this layer folds into its padding: the layer reads the PAD's input
  // (and only when the explicit padding is representable: the same output size, no extent beyond int32)
  const source = c.ctx.foldablePad(input.index);
  const candidate = source?.pad === undefined ? null : foldPad(source.pad, c.ctx.tensors[source.pad.input], inP.zeroPoint, padding, [h, w],
    [oh, ow], strides, [effectiveFilterSize(fs[1], dilations[0]), effectiveFilterSize(fs[2], dilations[1])]);
  const fold = candidate !== null && sameGeometry(() => spatialGeometry(fn, 'input', candidate.input.shape, window(candidate.padding), 'opts.dilations'), oh, ow)
    ? candidate : null;
  const reads = fold?.input ?? input;
  const op = c.wrap(depthwise ? createDepthwiseConv2d : createConv2d,
    { filter: weightsTensor(c, filter, 'filter', depthwise ? 3 : 0, cout), bias: biasValues(c, biasT, cout), input: inP, output: outP, strides, dilations,
      padding: fold?.padding ?? padding, activation, profile: c.ctx.profile });
  const inShape = Object.freeze(reads.shape.slice());
  return {
    index: c.op.index, name: c.op.name, reads: [reads.index], writes: [output.index],
    ...(fold !== null && source !== null ? { foldsPad: source.index } : {}),
    bind: (v) => preparedStep(op, reads.index, output.index, inShape, v),
    dispose: () => op.dispose(),
  };
}

/** Whether a geometry computes (no extent error) and gives an outH x outW output. */
function sameGeometry(geometry: () => SpatialGeometry, outH: number, outW: number): boolean {
  try {
    const s = geometry();
    return s.outH === outH && s.outW === outW;
  } catch {
    return false;
  }
}

/**
 * A convolution reading a PAD's input instead of its output, with explicit padding, or null when the PAD does not
 * fold: it must pad only height and width (NHWC), with the zero point. The taps that fall in the PAD's border then
 * hold z_in, exactly as the taps a convolution skips outside the image (their (q - z_in) * w is 0), so the padding
 * adds up: PAD's (before, after) plus the layer's own ('SAME' computed on the padded size as TFLite does; 'VALID': none).
 */
function foldPad(p: PadSpec, unpadded: TensorSpec, zeroPoint: number, padding: Padding, padded: [number, number],
  out: [number, number], strides: [number, number], extents: [number, number]): { input: TensorSpec; padding: ExplicitPadding } | null {
  if (unpadded.shape.length !== 4 || p.value !== zeroPoint) return null;
  if (p.before[0] !== 0 || p.after[0] !== 0 || p.before[3] !== 0 || p.after[3] !== 0) return null;
  const sides = [0, 1].map((d) => {
    // SAME: total = max(0, (out - 1) * stride + extent - in), floor(total / 2) before
    const total = padding === 'SAME' ? Math.max(0, (out[d] - 1) * strides[d] + extents[d] - padded[d]) : 0;
    const own = Math.floor(total / 2);
    return [p.before[d + 1] + own, p.after[d + 1] + total - own] as const;
  });
  return { input: unpadded, padding: [sides[0], sides[1]] };
}

/**
 * A PAD whose output the next convolution no longer reads (it folded the padding into its own): run() skips it,
 * and inspect() pads its input into a fresh array, so that the tensor is still reported as TFLite computes it.
 */
export function foldedPad(node: Node): Node {
  const p = node.pad;
  if (p === undefined) throw new Error(`foldedPad: operator ${node.index} (${node.name}) is not a PAD`);
  return {
    ...node,
    bind: () => sync(() => undefined),
    bindInspect: (v) => {
      const x = v.int8(p.input);
      return () => {
        const out = new Int8Array(p.plan.outputCount);
        pad(p.plan, x, out);
        return out;
      };
    },
  };
}

/** createFullyConnected with a quantized output (its QTensor overload). */
function createQuantizedFullyConnected(p: PreparedFullyConnectedParams<TensorParams>): PreparedOp<QTensor> {
  return createFullyConnected(p);
}

function buildFullyConnected(c: OpCheck): Node {
  c.counts(2, 3, 1);
  const input = c.input(0, 'input');
  const weights = c.input(1, 'weights');
  const biasT = c.optionalInput(2);
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  c.rank(weights, 'weights', 2, '[units, K]');
  const t = c.options(Options.FullyConnected, 'FullyConnectedOptions', false);
  const o = Slot.FullyConnectedOptions;
  const activation = c.activationOption(t, o.activation);
  const format = t === null ? 0 : t.int8(o.weightsFormat, 'weights_format', 0);
  if (format !== 0) throw c.fail(`option weights_format ${WEIGHTS_FORMAT_NAMES[format] ?? format} is not supported (DEFAULT only)`);
  const keepNumDims = t !== null && t.bool(o.keepNumDims, 'keep_num_dims', false);
  c.biasTypeOption(t, o.quantizedBiasType);
  const [units, depth] = weights.shape;
  if (units === 0 || depth === 0 || input.numel % depth !== 0) {
    throw c.fail(`input ${input.label} of shape ${shapeText(input.shape)} does not split into rows of K = ${depth} (weights ${shapeText(weights.shape)})`);
  }
  const batches = input.numel / depth;
  if (keepNumDims) {
    if (input.shape[input.shape.length - 1] !== depth) {
      throw c.fail(`option keep_num_dims needs the last input dimension (${shapeText(input.shape)}) to be K = ${depth}`);
    }
    c.outputShape(output, [...input.shape.slice(0, -1), units]);
  } else if (output.numel !== batches * units || output.shape[output.shape.length - 1] !== units) {
    throw c.fail(`output ${output.label} has shape ${shapeText(output.shape)}, but the operator computes [${batches},${units}]`);
  }
  // createFullyConnected keeps a reference to the arrays it is given (besides its own copies): give it copies, so
  // the loaded model does not keep the whole file alive through views into it
  const w = weightsTensor(c, weights, 'weights', 0, units);
  const bias = biasValues(c, biasT, units);
  const op = c.wrap(createQuantizedFullyConnected,
    { weights: { ...w, data: w.data.slice() }, bias: bias === null ? null : bias.slice(), input: inP, output: outP, activation, profile: c.ctx.profile });
  return {
    index: c.op.index, name: c.op.name, reads: [input.index], writes: [output.index],
    bind: (v) => preparedStep(op, input.index, output.index, undefined, v),
    dispose: () => op.dispose(),
  };
}

function buildPool(c: OpCheck, max: boolean): Node {
  c.counts(1, 1, 1);
  const input = c.input(0, 'input');
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  c.rank(input, 'input', 4, 'NHWC');
  c.sameParams(inP, outP, 'pooling keeps the quantization');
  const t = c.options(Options.Pool2D, 'Pool2DOptions', true);
  const o = Slot.Pool2DOptions;
  const padding = c.paddingOption(t, o.padding);
  const strides: [number, number] = [c.positiveOption(t, o.strideH, 'stride_h', 0), c.positiveOption(t, o.strideW, 'stride_w', 0)];
  const filter: [number, number] = [c.positiveOption(t, o.filterH, 'filter_height', 0), c.positiveOption(t, o.filterW, 'filter_width', 0)];
  const activation = c.activationOption(t, o.activation);
  const [n, h, w, ch] = input.shape;
  if (padding === 'VALID' && (h < filter[0] || w < filter[1])) {
    throw c.fail(`input ${input.label} of shape ${shapeText(input.shape)} is smaller than the ${filter[0]}x${filter[1]} filter for padding VALID`);
  }
  const s = c.wrap((window: WindowSpec) => spatialGeometry(max ? 'maxPool2d' : 'averagePool2d', 'input', input.shape, window, 'opts.filter'),
    { filter, strides, dilations: [1, 1], padding });
  c.outputShape(output, [n, s.outH, s.outW, ch]);
  const clamp = outputClamp(activation, outP, 'int8');
  const g = poolGeometry(input.shape, filter, strides, s, clamp);
  return int8Node(c, input, output, (k, x, out) => (max ? k.maxPool2d(x, g, out) : k.averagePool2d(x, g, out)));
}

function buildAdd(c: OpCheck): Node {
  c.counts(2, 2, 1);
  const a = c.input(0, 'input 1');
  const b = c.input(1, 'input 2');
  const output = c.output(0);
  const pa = c.activation(a, 'input 1', ['int8'], true);
  const pb = c.activation(b, 'input 2', ['int8'], true);
  const po = c.activation(output, 'output');
  c.maxRank(a, 'input 1', ADD_RANK);
  c.maxRank(b, 'input 2', ADD_RANK);
  const t = c.options(Options.Add, 'AddOptions', false);
  const activation = c.activationOption(t, Slot.AddOptions.activation);
  const shapes = broadcastAddShapes(a.shape, b.shape);
  if (shapes === null) throw c.fail(`input shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} do not broadcast`);
  c.outputShape(output, shapes.outPadded.slice(ADD_RANK - Math.max(a.shape.length, b.shape.length)));
  const g = addGeometry(c.ctx.kernels, shapes, pa, pb, po, outputClamp(activation, po, 'int8'));
  if (g === null) {
    throw c.fail(`output scale ${po.scale} is too small for the input scales ${pa.scale}, ${pb.scale} (TFLite ADD needs an output multiplier below 1)`);
  }
  return {
    index: c.op.index, name: c.op.name, reads: [a.index, b.index], writes: [output.index],
    bind: (v) => {
      const x = v.int8(a.index);
      const y = v.int8(b.index);
      const out = v.int8(output.index);
      return sync((kk) => kk.add(x, y, g, out));
    },
    dispose: () => undefined,
  };
}

/** int8 SOFTMAX and LOGISTIC write 1/256 steps from -128; TFLite Micro accepts the declared scale within 0.1%. */
function checkUnitOutput(c: OpCheck, output: TensorSpec, p: TensorParams): void {
  if (p.zeroPoint !== -128 || Math.abs(p.scale - OUTPUT_SCALE_1_256) > 0.001 * OUTPUT_SCALE_1_256) {
    throw c.fail(`output ${output.label} has scale ${p.scale} / zero point ${p.zeroPoint}; int8 ${c.op.name} writes scale 1/256, zero point -128`);
  }
}

function buildSoftmax(c: OpCheck): Node {
  c.counts(1, 1, 1);
  const input = c.input(0, 'input');
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  checkUnitOutput(c, output, outP);
  if (input.shape.length < 1) throw c.fail(`input ${input.label} is a scalar; softmax needs rank >= 1`);
  c.outputShape(output, input.shape);
  const t = c.options(Options.Softmax, 'SoftmaxOptions', true);
  const beta = Math.fround((t as Table).float32(Slot.SoftmaxOptions.beta, 'beta', 0));
  if (!(beta > 0 && beta < Infinity)) throw c.fail(`option beta ${beta} is not supported (a finite beta > 0 is expected)`);
  // PreprocessSoftmaxScaling(beta, s_in, 5) and CalculateInputRadius(5, left shift, 31), as the public softmax
  const real = Math.min(beta * inP.scale * 2 ** 26, 2 ** 31 - 1);
  if (!(real > 1)) throw c.fail(`input scale ${inP.scale} with beta ${beta} is too small (beta * scale must exceed 2^-26)`);
  const [multiplier, leftShift] = c.ctx.kernels.quantizeMultiplier(real, 0);
  const radius = Math.floor((31 * 2 ** 26) / 2 ** leftShift);
  const depth = input.shape[input.shape.length - 1];
  const g = new Int32Array(SoftmaxField.Count);
  g[SoftmaxField.Rows] = input.numel / depth;
  g[SoftmaxField.Depth] = depth;
  g[SoftmaxField.InputMultiplier] = multiplier;
  g[SoftmaxField.InputLeftShift] = leftShift;
  g[SoftmaxField.DiffMin] = -radius;
  return int8Node(c, input, output, (k, x, out) => k.softmax(x, g, out));
}

function buildLogistic(c: OpCheck): Node {
  c.counts(1, 1, 1);
  const input = c.input(0, 'input');
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  checkUnitOutput(c, output, outP);
  c.outputShape(output, input.shape);
  c.options(Options.NONE, 'no options', false);
  const table = logisticTable(inP.zeroPoint, inP.scale, c.ctx.profile === 'tflite-single');
  return int8Node(c, input, output, (_k, x, out) => lookup(table, x, out));
}

/** RESHAPE: the target shape (shape tensor or new_shape option, one -1 inferred) must be the declared output shape. */
function buildReshape(c: OpCheck): Node {
  c.counts(1, 2, 1);
  const input = c.input(0, 'input');
  const output = c.output(0);
  const inP = c.activation(input, 'input', ['int8', 'uint8', 'float32']);
  const outP = c.activation(output, 'output', ['int8', 'uint8', 'float32']);
  if (input.type !== output.type) throw c.fail(`input ${input.label} is ${tensorTypeName(input.type)} but output ${output.label} is ${tensorTypeName(output.type)}`);
  c.sameParams(inP, outP, 'reshape keeps the quantization');
  if (input.numel !== output.numel) {
    throw c.fail(`output ${output.label} has shape ${shapeText(output.shape)} (${output.numel} elements) for an input of ${input.numel}`);
  }
  const shapeT = c.optionalInput(1);
  const t = c.options(Options.Reshape, 'ReshapeOptions', false);
  let target: number[] | null = null;
  if (shapeT !== null && shapeT.constant !== null) target = c.intValues(shapeT, 'shape');
  else if (t !== null && t.has(Slot.ReshapeOptions.newShape)) target = t.int32Vector(Slot.ReshapeOptions.newShape, 'new_shape');
  if (target !== null && !(target.length === 1 && target[0] === -1 && output.shape.length === 1)) {
    const known = target.filter((d) => d !== -1);
    const inferred = target.length - known.length;
    const product = numelOf(known);
    if (inferred > 1 || known.some((d) => d < 0) || (inferred === 0 && product !== input.numel) || (inferred === 1 && (product === 0 || input.numel % product !== 0))) {
      throw c.fail(`shape ${shapeText(target)} does not fit an input of ${input.numel} elements`);
    }
    const resolved = target.map((d) => (d === -1 ? input.numel / product : d));
    if (!sameShape(resolved, output.shape) && !(target.length === 0 && output.shape.length === 0)) {
      throw c.fail(`shape ${shapeText(target)} resolves to ${shapeText(resolved)}, but output ${output.label} has shape ${shapeText(output.shape)}`);
    }
  }
  return {
    index: c.op.index, name: c.op.name, reads: [input.index], writes: [output.index], aliasOf: input.index,
    bind: () => sync(() => undefined),
    dispose: () => undefined,
  };
}

function buildPad(c: OpCheck, v2: boolean): Node {
  c.counts(2, v2 ? 3 : 2, 1);
  const input = c.input(0, 'input');
  const paddingsT = c.input(1, 'paddings');
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  c.sameParams(inP, outP, 'padding keeps the quantization');
  c.maxRank(input, 'input', RANK);
  c.options(v2 ? Options.PadV2 : Options.Pad, v2 ? 'PadV2Options' : 'PadOptions', false);
  const rank = input.shape.length;
  const values = c.intValues(paddingsT, 'paddings');
  if (paddingsT.shape.length !== 2 || paddingsT.shape[0] !== rank || paddingsT.shape[1] !== 2) {
    throw c.fail(`paddings ${paddingsT.label} has shape ${shapeText(paddingsT.shape)}; [${rank},2] is expected`);
  }
  const before: number[] = [];
  const after: number[] = [];
  for (let d = 0; d < rank; d++) {
    const [b, a] = [values[2 * d], values[2 * d + 1]];
    if (b < 0 || a < 0) throw c.fail(`paddings ${paddingsT.label} holds a negative padding (${b}, ${a}) for dimension ${d}`);
    before.push(b);
    after.push(a);
  }
  c.outputShape(output, input.shape.map((dim, d) => dim + before[d] + after[d]));
  let value = outP.zeroPoint;
  const constantT = v2 ? c.optionalInput(2) : null;
  if (constantT !== null) {
    const cp = c.activation(constantT, 'constant_values', ['int8'], true);
    const data = c.constant(constantT, 'constant_values');
    if (constantT.numel !== 1) throw c.fail(`constant_values ${constantT.label} must hold one value`);
    if (cp.scale !== outP.scale || cp.zeroPoint !== outP.zeroPoint) throw c.fail(`constant_values ${constantT.label} must have the output's scale and zero point`);
    value = int8View(data)[0];
  }
  const plan = planPad(input.shape, before, after, value);
  return int8Node(c, input, output, (_k, x, out) => pad(plan, x, out), { pad: { input: input.index, before, after, value, plan } });
}

function buildTranspose(c: OpCheck): Node {
  c.counts(2, 2, 1);
  const input = c.input(0, 'input');
  const permT = c.input(1, 'perm');
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  c.sameParams(inP, outP, 'transpose keeps the quantization');
  c.maxRank(input, 'input', RANK);
  c.options(Options.Transpose, 'TransposeOptions', false);
  const perm = c.intValues(permT, 'perm');
  const rank = input.shape.length;
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw c.fail(`perm ${shapeText(perm)} is not a permutation of the ${rank} input dimensions`);
  }
  c.outputShape(output, perm.map((p) => input.shape[p]));
  const plan = planTranspose(input.shape, perm);
  return int8Node(c, input, output, (_k, x, out) => transpose(plan, x, out));
}

function buildMean(c: OpCheck): Node {
  c.counts(2, 2, 1);
  const input = c.input(0, 'input');
  const axisT = c.input(1, 'axis');
  const output = c.output(0);
  const inP = c.activation(input, 'input');
  const outP = c.activation(output, 'output');
  c.maxRank(input, 'input', RANK);
  const t = c.options(Options.Reducer, 'ReducerOptions', false);
  const keepDims = t !== null && t.bool(Slot.ReducerOptions.keepDims, 'keep_dims', false);
  const rank = input.shape.length;
  const axes: number[] = [];
  for (const a of c.intValues(axisT, 'axis')) {
    if (a < -rank || a >= rank) throw c.fail(`axis ${a} is out of range for an input of rank ${rank}`);
    const r = a < 0 ? a + rank : a;
    if (!axes.includes(r)) axes.push(r);
  }
  const expected = keepDims ? input.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : input.shape.filter((_, i) => !axes.includes(i));
  c.outputShape(output, expected);
  // TFLite Micro's QuantizedMeanOrSum: M, shift of s_in / s_out folded with 1 / count (kernels.ts planMean)
  const pid = profileId(c.ctx.profile);
  const [multiplier, shift] = c.ctx.kernels.quantizeMultiplier(inP.scale / outP.scale, pid === 2 ? 0 : pid);
  if (shift > 30) throw c.fail(`input scale ${inP.scale} / output scale ${outP.scale} is too large (at least 2^30)`);
  const plan: MeanPlan = planMean(input.shape, axes, inP.zeroPoint, outP.zeroPoint, multiplier, shift, pid === 1);
  return int8Node(c, input, output, (_k, x, out) => mean(plan, x, out));
}

function buildConcatenation(c: OpCheck): Node {
  if (c.op.inputs.length < 1) throw c.fail('has no inputs');
  c.counts(1, c.op.inputs.length, 1);
  const output = c.output(0);
  const outP = c.activation(output, 'output', ['int8', 'uint8']);
  const t = c.options(Options.Concatenation, 'ConcatenationOptions', false);
  const activation = c.activationOption(t, Slot.ConcatenationOptions.activation);
  if (activation !== 'NONE') throw c.fail(`option fused_activation_function ${activation} is not supported (NONE only)`);
  const rank = output.shape.length;
  let axis = t === null ? 0 : t.int32(Slot.ConcatenationOptions.axis, 'axis', 0);
  if (axis < -rank || axis >= rank) throw c.fail(`option axis ${axis} is out of range for rank ${rank}`);
  if (axis < 0) axis += rank;
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= output.shape[d];
  let inner = 1;
  for (let d = axis + 1; d < rank; d++) inner *= output.shape[d];
  const { qmin, qmax } = output.dtype === 'int8' ? { qmin: -128, qmax: 127 } : { qmin: 0, qmax: 255 };
  const parts: ConcatPart[] = [];
  let total = 0;
  const inputs: TensorSpec[] = [];
  for (let i = 0; i < c.op.inputs.length; i++) {
    const x = c.input(i, `input ${i}`);
    const p = c.activation(x, `input ${i}`, [output.dtype as DType], true);
    if (x.shape.length !== rank || x.shape.some((d, k) => k !== axis && d !== output.shape[k])) {
      throw c.fail(`input ${i} ${x.label} of shape ${shapeText(x.shape)} does not match output ${shapeText(output.shape)} outside axis ${axis}`);
    }
    total += x.shape[axis];
    const same = p.scale === outP.scale && p.zeroPoint === outP.zeroPoint;
    parts.push({ size: x.shape[axis] * inner, rescale: same ? null : concatRescale(p.scale, p.zeroPoint, outP.scale, outP.zeroPoint, qmin, qmax) });
    inputs.push(x);
  }
  if (total !== output.shape[axis]) throw c.fail(`inputs sum to ${total} along axis ${axis}, but output ${output.label} has ${output.shape[axis]}`);
  return {
    index: c.op.index, name: c.op.name, reads: inputs.map((x) => x.index), writes: [output.index],
    bind: (v) => {
      const xs = inputs.map((x) => v.bytes(x.index));
      const out = v.bytes(output.index);
      return sync(() => concatenate(outer, parts, xs, out));
    },
    dispose: () => undefined,
  };
}

function buildQuantize(c: OpCheck): Node {
  c.counts(1, 1, 1);
  const input = c.input(0, 'input');
  const output = c.output(0);
  const inP = c.activation(input, 'input', ['float32', 'int8', 'uint8']);
  const outP = c.activation(output, 'output', ['int8', 'uint8']);
  c.outputShape(output, input.shape);
  c.options(Options.Quantize, 'QuantizeOptions', false);
  const n = input.numel;
  const [qmin, qmax] = output.dtype === 'int8' ? [-128, 127] : [0, 255];
  const scale = Float32Array.of(outP.scale);
  const zeroPoint = Int32Array.of(outP.zeroPoint);
  if (input.dtype === 'float32') {
    // reference AffineQuantize: round_away(x /_f32 s) + z, clamped
    return {
      index: c.op.index, name: c.op.name, reads: [input.index], writes: [output.index],
      bind: (v) => {
        const x = v.float32(input.index);
        const out = v.bytes(output.index);
        return sync((k) => {
          k.quantize(x, scale, zeroPoint, 1, 1, n, qmin, qmax, 0, out);
        });
      },
      dispose: () => undefined,
    };
  }
  // Requantize: MBQM(q - z_in, M, shift) + z_out with M, shift of s_in / s_out (xnnpack-fp32: the float32 ratio)
  const pid = profileId(c.ctx.profile);
  const multiplier = new Int32Array(1);
  const shift = new Int32Array(1);
  const ratio = new Float32Array(1);
  if (pid === 2) {
    ratio[0] = Math.fround(inP.scale / outP.scale);
  } else {
    [multiplier[0], shift[0]] = c.ctx.kernels.quantizeMultiplier(inP.scale / outP.scale, pid);
    if (shift[0] > 30) throw c.fail(`input scale ${inP.scale} / output scale ${outP.scale} is too large (at least 2^30)`);
  }
  const zIn = Int32Array.of(inP.zeroPoint);
  return {
    index: c.op.index, name: c.op.name, reads: [input.index], writes: [output.index],
    bind: (v) => {
      const x = v.bytes(input.index);
      const out = v.bytes(output.index);
      return sync((k) => k.requantize(x, multiplier, shift, ratio, zIn, zeroPoint, 1, 1, n, pid, qmin, qmax, out));
    },
    dispose: () => undefined,
  };
}

function buildDequantize(c: OpCheck): Node {
  c.counts(1, 1, 1);
  const input = c.input(0, 'input');
  const output = c.output(0);
  const inP = c.activation(input, 'input', ['int8', 'uint8']);
  c.activation(output, 'output', ['float32']);
  c.outputShape(output, input.shape);
  c.options(Options.Dequantize, 'DequantizeOptions', false);
  const scale = Float32Array.of(inP.scale);
  const zeroPoint = Int32Array.of(inP.zeroPoint);
  const n = input.numel;
  return {
    index: c.op.index, name: c.op.name, reads: [input.index], writes: [output.index],
    bind: (v) => {
      const x = v.bytes(input.index);
      const out = v.float32(output.index);
      return sync((k) => k.dequantize(x, scale, zeroPoint, 1, 1, n, out));
    },
    dispose: () => undefined,
  };
}

/** Checks the operator-level fields every builder relies on, then builds the node. */
export function buildNode(op: RawOperator, ctx: BuildContext): Node {
  const c = new OpCheck(op, ctx);
  const max = MAX_VERSION[op.code];
  if (max === undefined) {
    throw c.fail('is not supported (supported: ADD, AVERAGE_POOL_2D, CONCATENATION, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE, ' +
      'FULLY_CONNECTED, LOGISTIC, MAX_POOL_2D, MEAN, PAD, PADV2, QUANTIZE, RESHAPE, SOFTMAX, TRANSPOSE)');
  }
  if (!(op.version >= 1 && op.version <= max)) throw c.fail(`version ${op.version} is not supported (versions 1 to ${max})`);
  if (op.hasCustomOptions) throw c.fail('has custom_options, which builtin operators do not take');
  if (op.hasOptions2) throw c.fail('has builtin_options_2, which this operator does not take');
  if (op.hasIntermediates) throw c.fail('has intermediate tensors, which are not supported');
  if (op.mutatesVariables) throw c.fail('mutates variable tensors, which is not supported');
  switch (op.code) {
    case Op.CONV_2D: return buildConv(c, false);
    case Op.DEPTHWISE_CONV_2D: return buildConv(c, true);
    case Op.FULLY_CONNECTED: return buildFullyConnected(c);
    case Op.AVERAGE_POOL_2D: return buildPool(c, false);
    case Op.MAX_POOL_2D: return buildPool(c, true);
    case Op.ADD: return buildAdd(c);
    case Op.SOFTMAX: return buildSoftmax(c);
    case Op.LOGISTIC: return buildLogistic(c);
    case Op.RESHAPE: return buildReshape(c);
    case Op.PAD: return buildPad(c, false);
    case Op.PADV2: return buildPad(c, true);
    case Op.TRANSPOSE: return buildTranspose(c);
    case Op.MEAN: return buildMean(c);
    case Op.CONCATENATION: return buildConcatenation(c);
    case Op.QUANTIZE: return buildQuantize(c);
    case Op.DEQUANTIZE: return buildDequantize(c);
    default: throw c.fail('is not supported');
  }
}
