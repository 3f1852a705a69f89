// A minimal ONNX protobuf writer for the benchmark's peer models: ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto (raw_data), ValueInfoProto and OperatorSetIdProto, with the field numbers of
// onnx/onnx.proto. Only what the benchmark models need; written from the .proto, no dependency.

/** TensorProto.DataType values (onnx.proto). */
export const ONNX_DATA_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
export type OnnxDType = keyof typeof ONNX_DATA_TYPE;

/** AttributeProto.AttributeType values (onnx.proto). */
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

/** Protobuf wire types. */
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface TensorSpec {
  name: string;
  dtype: OnnxDType;
  dims: readonly number[];
  data: TensorData;
}

export interface ValueInfoSpec {
  name: string;
  dtype: OnnxDType;
  dims: readonly number[];
}

/** One attribute value, tagged with its AttributeProto type. */
export type AttributeValue = { i: number } | { f: number } | { s: string } | { ints: readonly number[] };

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, AttributeValue>>;
  /** '' (default) is the ONNX domain; e.g. 'com.microsoft' for onnxruntime's contrib ops. */
  domain?: string;
  name?: string;
}

export interface OpsetSpec {
  domain: string;
  version: number;
}

export interface ModelSpec {
  graphName: string;
  nodes: readonly NodeSpec[];
  initializers: readonly TensorSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  opsets: readonly OpsetSpec[];
  /** ModelProto.ir_version; default 8. */
  irVersion?: number;
  producerName?: string;
}

/** Accumulates one protobuf message. */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /** A base-128 varint; negative values are written as 64-bit two's complement (10 bytes), as protobuf does for int64. */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): this {
    this.key(field, VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

/** Whether `data` is the typed array that holds `dtype`. */
function holds(dtype: OnnxDType, data: TensorData): boolean {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array;
    case 'uint8': return data instanceof Uint8Array;
    case 'int8': return data instanceof Int8Array;
    case 'int32': return data instanceof Int32Array;
    case 'int64': return data instanceof BigInt64Array;
  }
}

/** raw_data: fixed-width little-endian elements (onnx.proto), whatever the host's byte order. */
function rawData(t: TensorSpec): Uint8Array {
  if (!holds(t.dtype, t.data)) throw new TypeError(`ONNX tensor ${t.name}: dtype ${t.dtype} does not match its ${t.data.constructor.name}`);
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== expected) throw new RangeError(`ONNX tensor ${t.name}: ${t.data.length} elements for dims [${t.dims.join(',')}]`);
  const d = t.data;
  if (d instanceof Uint8Array || d instanceof Int8Array) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  const out = new Uint8Array(d.byteLength);
  const view = new DataView(out.buffer);
  if (d instanceof Float32Array) d.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else if (d instanceof Int32Array) d.forEach((v, i) => view.setInt32(i * 4, v, true));
  else d.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}

/** TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9. */
function tensorProto(t: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, ONNX_DATA_TYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, rawData(t));
  return w;
}

/**
 * ValueInfoProto { name = 1, type = 2 }, TypeProto { tensor_type = 1 }, TypeProto.Tensor { elem_type = 1, shape = 2 },
 * TensorShapeProto { dim = 1 }, TensorShapeProto.Dimension { dim_value = 1 }.
 */
function valueInfoProto(v: ValueInfoSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, ONNX_DATA_TYPE[v.dtype]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

/** AttributeProto: name = 1, f = 2, i = 3, s = 4, ints = 8, type = 20. */
function attributeProto(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('i' in value) w.int(3, value.i).int(20, ATTRIBUTE_TYPE.INT);
  else if ('f' in value) w.float(2, value.f).int(20, ATTRIBUTE_TYPE.FLOAT);
  else if ('s' in value) w.string(4, value.s).int(20, ATTRIBUTE_TYPE.STRING);
  else {
    for (const v of value.ints) w.int(8, v);
    w.int(20, ATTRIBUTE_TYPE.INTS);
  }
  return w;
}

/** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7. */
function nodeProto(n: NodeSpec, index: number): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name ?? `${n.opType}_${index}`);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attributeProto(k, v));
  if (n.domain) w.string(7, n.domain);
  return w;
}

/**
 * A serialized ModelProto { ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 } holding
 * GraphProto { node = 1, name = 2, initializer = 5, input = 11, output = 12 };
 * OperatorSetIdProto { domain = 1, version = 2 }.
 */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const graph = new ProtoWriter();
  spec.nodes.forEach((n, i) => graph.message(1, nodeProto(n, i)));
  graph.string(2, spec.graphName);
  for (const t of spec.initializers) graph.message(5, tensorProto(t));
  for (const v of spec.inputs) graph.message(11, valueInfoProto(v));
  for (const v of spec.outputs) graph.message(12, valueInfoProto(v));
  const model = new ProtoWriter();
  model.int(1, spec.irVersion ?? 8);
  model.string(2, spec.producerName ?? 'qint8-bench');
  model.message(7, graph);
  for (const o of spec.opsets) model.message(8, new ProtoWriter().string(1, o.domain).int(2, o.version));
  return model.finish();
}
