// Writes small .tflite flatbuffers for the tests with the flatbuffers Builder (schema v3 field slots), so the
// loader is tested on models the project makes itself: tensors with quantization, constant buffers, operators
// with their option tables.
import { Builder } from 'flatbuffers';

export type TypeName = 'float32' | 'int32' | 'uint8' | 'int64' | 'int8' | 'int16';
const TYPE_IDS: Record<TypeName, number> = { float32: 0, int32: 2, uint8: 3, int64: 4, int16: 7, int8: 9 };

export interface TensorDef {
  name?: string;
  shape: number[];
  type: TypeName | number;
  /** Constant data (little-endian bytes of the typed array). */
  data?: Int8Array | Uint8Array | Int32Array | Float32Array | BigInt64Array;
  scale?: number | number[];
  zeroPoint?: number | number[];
  quantizedDimension?: number;
  /** Data outside the flatbuffer (Buffer.offset / Buffer.size, as models beyond 2 GB store it), offset from the file start. */
  external?: { offset: number; size: number };
}

export interface OptionsDef {
  /** BuiltinOptions union type id. */
  type: number;
  /** Writes the options table and returns its offset. */
  build(b: Builder): number;
}

export interface OpDef {
  /** BuiltinOperator code. */
  op: number;
  version?: number;
  inputs: number[];
  outputs: number[];
  options?: OptionsDef;
  /** CUSTOM operators: the custom code. */
  custom?: string;
}

export interface ModelDef {
  tensors: TensorDef[];
  ops: OpDef[];
  inputs: number[];
  outputs: number[];
  version?: number;
  description?: string;
}

type Field = [slot: number, kind: 'i8' | 'i32' | 'f32' | 'bool' | 'u8', value: number | boolean, fallback: number | boolean];

/** An options table of scalar fields (slot, kind, value, schema default). */
export function table(type: number, fields: Field[]): OptionsDef {
  return {
    type,
    build(b) {
      b.startObject(Math.max(0, ...fields.map((f) => f[0] + 1)));
      for (const [slot, kind, value, fallback] of fields) {
        const v = typeof value === 'boolean' ? Number(value) : value;
        const d = typeof fallback === 'boolean' ? Number(fallback) : fallback;
        if (kind === 'i32') b.addFieldInt32(slot, v, d);
        else if (kind === 'f32') b.addFieldFloat32(slot, v, d);
        else b.addFieldInt8(slot, v, d);
      }
      return b.endObject();
    },
  };
}

type Act = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';
const ACT: Record<Act, number> = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 };

export interface ConvOpts { padding?: 'SAME' | 'VALID'; stride?: [number, number]; dilation?: [number, number]; activation?: Act; depthMultiplier?: number }

export const options = {
  conv2d: (o: ConvOpts = {}): OptionsDef => table(1, [
    [0, 'i8', o.padding === 'VALID' ? 1 : 0, 0], [1, 'i32', o.stride?.[1] ?? 1, 0], [2, 'i32', o.stride?.[0] ?? 1, 0],
    [3, 'i8', ACT[o.activation ?? 'NONE'], 0], [4, 'i32', o.dilation?.[1] ?? 1, 1], [5, 'i32', o.dilation?.[0] ?? 1, 1],
  ]),
  depthwise: (o: ConvOpts = {}): OptionsDef => table(2, [
    [0, 'i8', o.padding === 'VALID' ? 1 : 0, 0], [1, 'i32', o.stride?.[1] ?? 1, 0], [2, 'i32', o.stride?.[0] ?? 1, 0],
    [3, 'i32', o.depthMultiplier ?? 0, 0], [4, 'i8', ACT[o.activation ?? 'NONE'], 0], [5, 'i32', o.dilation?.[1] ?? 1, 1],
    [6, 'i32', o.dilation?.[0] ?? 1, 1],
  ]),
  pool: (filter: [number, number], o: { padding?: 'SAME' | 'VALID'; stride?: [number, number]; activation?: Act } = {}): OptionsDef => table(5, [
    [0, 'i8', o.padding === 'VALID' ? 1 : 0, 0], [1, 'i32', o.stride?.[1] ?? 1, 0], [2, 'i32', o.stride?.[0] ?? 1, 0],
    [3, 'i32', filter[1], 0], [4, 'i32', filter[0], 0], [5, 'i8', ACT[o.activation ?? 'NONE'], 0],
  ]),
  fullyConnected: (o: { activation?: Act; weightsFormat?: number; keepNumDims?: boolean } = {}): OptionsDef => table(8, [
    [0, 'i8', ACT[o.activation ?? 'NONE'], 0], [1, 'i8', o.weightsFormat ?? 0, 0], [2, 'bool', o.keepNumDims ?? false, false],
  ]),
  softmax: (beta = 1): OptionsDef => table(9, [[0, 'f32', beta, 0]]),
  concatenation: (axis: number, activation: Act = 'NONE'): OptionsDef => table(10, [[0, 'i32', axis, 0], [1, 'i8', ACT[activation], 0]]),
  add: (activation: Act = 'NONE'): OptionsDef => table(11, [[0, 'i8', ACT[activation], 0]]),
  reshape: (): OptionsDef => table(17, []),
  pad: (): OptionsDef => table(22, []),
  transpose: (): OptionsDef => table(26, []),
  reducer: (keepDims: boolean): OptionsDef => table(27, [[0, 'bool', keepDims, false]]),
};

/** BuiltinOperator codes used by the tests. */
export const OP = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, FULLY_CONNECTED: 9, LOGISTIC: 14,
  MAX_POOL_2D: 17, MUL: 18, RESHAPE: 22, SOFTMAX: 25, TANH: 28, CUSTOM: 32, PAD: 34, TRANSPOSE: 39, MEAN: 40, PADV2: 60, QUANTIZE: 114,
} as const;

function bytesOf(data: NonNullable<TensorDef['data']>): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function intVector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function floatVector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function longVector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** Serializes a model: buffer 0 is the empty sentinel; each constant tensor gets its own buffer. */
export function buildTflite(def: ModelDef): Uint8Array {
  const b = new Builder(1024);
  // buffers
  const bufferOffsets: number[] = [];
  b.startObject(3);
  bufferOffsets.push(b.endObject());
  const tensorBuffer: number[] = [];
  for (const t of def.tensors) {
    if (t.external !== undefined) {
      b.startObject(3);
      b.addFieldInt64(1, BigInt(t.external.offset), 0n);
      b.addFieldInt64(2, BigInt(t.external.size), 0n);
      tensorBuffer.push(bufferOffsets.length);
      bufferOffsets.push(b.endObject());
      continue;
    }
    if (t.data === undefined) {
      tensorBuffer.push(0);
      continue;
    }
    const bytes = bytesOf(t.data);
    b.startVector(1, bytes.length, 16);
    for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
    const vec = b.endVector();
    b.startObject(3);
    b.addFieldOffset(0, vec, 0);
    tensorBuffer.push(bufferOffsets.length);
    bufferOffsets.push(b.endObject());
  }
  // tensors
  const tensorOffsets = def.tensors.map((t, i) => {
    const name = b.createString(t.name ?? `t${i}`);
    const shape = intVector(b, t.shape);
    let quant = 0;
    if (t.scale !== undefined) {
      const scales = Array.isArray(t.scale) ? t.scale : [t.scale];
      const zps = t.zeroPoint === undefined ? scales.map(() => 0) : Array.isArray(t.zeroPoint) ? t.zeroPoint : [t.zeroPoint];
      const sv = floatVector(b, scales);
      const zv = longVector(b, zps);
      b.startObject(7);
      b.addFieldOffset(2, sv, 0);
      b.addFieldOffset(3, zv, 0);
      b.addFieldInt32(6, t.quantizedDimension ?? 0, 0);
      quant = b.endObject();
    }
    b.startObject(8);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, typeof t.type === 'number' ? t.type : TYPE_IDS[t.type], 0);
    b.addFieldInt32(2, tensorBuffer[i], 0);
    b.addFieldOffset(3, name, 0);
    if (quant !== 0) b.addFieldOffset(4, quant, 0);
    return b.endObject();
  });
  // operator codes: one per distinct (op, version, custom)
  const codes: string[] = [];
  const codeIndex = def.ops.map((o) => {
    const key = `${o.op}/${o.version ?? 1}/${o.custom ?? ''}`;
    let i = codes.indexOf(key);
    if (i < 0) i = codes.push(key) - 1;
    return i;
  });
  const codeOffsets = codes.map((key) => {
    const [op, version, custom] = key.split('/');
    const customOffset = custom === '' ? 0 : b.createString(custom);
    b.startObject(4);
    b.addFieldInt8(0, Math.min(Number(op), 127), 0);
    if (customOffset !== 0) b.addFieldOffset(1, customOffset, 0);
    b.addFieldInt32(2, Number(version), 1);
    b.addFieldInt32(3, Number(op), 0);
    return b.endObject();
  });
  const opOffsets = def.ops.map((o, i) => {
    const inputs = intVector(b, o.inputs);
    const outputs = intVector(b, o.outputs);
    const opts = o.options ? o.options.build(b) : 0;
    b.startObject(13);
    b.addFieldInt32(0, codeIndex[i], 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (o.options) {
      b.addFieldInt8(3, o.options.type, 0);
      b.addFieldOffset(4, opts, 0);
    }
    return b.endObject();
  });
  const tensors = offsetVector(b, tensorOffsets);
  const inputs = intVector(b, def.inputs);
  const outputs = intVector(b, def.outputs);
  const operators = offsetVector(b, opOffsets);
  const sgName = b.createString('main');
  b.startObject(5);
  b.addFieldOffset(0, tensors, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldOffset(3, operators, 0);
  b.addFieldOffset(4, sgName, 0);
  const subgraph = b.endObject();
  const subgraphs = offsetVector(b, [subgraph]);
  const opcodes = offsetVector(b, codeOffsets);
  const buffers = offsetVector(b, bufferOffsets);
  const description = b.createString(def.description ?? 'qint8 test model');
  b.startObject(8);
  b.addFieldInt32(0, def.version ?? 3, 0);
  b.addFieldOffset(1, opcodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array().slice();
}
