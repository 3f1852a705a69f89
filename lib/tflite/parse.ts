// Reads a .tflite flatbuffer into plain, checked records: the buffers (views into the file, never copied),
// the first subgraph's tensors with their shapes, types and quantization, and its operators in order.
// Everything that does not depend on what an operator means is checked here.
import { FbReader, formatError, Table } from './reader';
import { FILE_IDENTIFIER, opName, SCHEMA_VERSION, Slot, TensorType, tensorTypeName } from './schema';

/** The largest tensor accepted, in elements (the kernels index with int32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;
/** The largest rank accepted. */
export const MAX_RANK = 8;

export interface RawQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface RawTensor {
  index: number;
  name: string;
  shape: number[];
  type: TensorType;
  numel: number;
  /** The constant data (a view into the file), or null for a tensor computed at run time. */
  data: Uint8Array | null;
  quantization: RawQuantization | null;
  isVariable: boolean;
  sparse: boolean;
}

export interface RawOperator {
  index: number;
  code: number;
  name: string;
  version: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options: Table | null;
  /** Fields this runtime never interprets; an operator that sets them is refused. */
  hasCustomOptions: boolean;
  hasOptions2: boolean;
  hasIntermediates: boolean;
  mutatesVariables: boolean;
}

export interface RawModel {
  description: string;
  subgraphName: string;
  subgraphs: number;
  tensors: RawTensor[];
  inputs: number[];
  outputs: number[];
  operators: RawOperator[];
}

/** Bytes per element of the tensor types a model may hold (constant data is checked against it). */
export function elementSize(type: number): number {
  switch (type) {
    case TensorType.FLOAT32: case TensorType.INT32: case TensorType.UINT32: return 4;
    case TensorType.FLOAT16: case TensorType.INT16: case TensorType.UINT16: return 2;
    case TensorType.INT64: case TensorType.FLOAT64: case TensorType.UINT64: case TensorType.COMPLEX64: return 8;
    case TensorType.COMPLEX128: return 16;
    case TensorType.UINT8: case TensorType.INT8: case TensorType.BOOL: return 1;
    default: return 0; // STRING, RESOURCE, VARIANT, INT4: no fixed size per element here
  }
}

function indexList(values: number[] | null, count: number, where: string, optional: boolean): number[] {
  const list = values ?? [];
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (optional && v === -1) continue;
    if (!(v >= 0 && v < count)) throw formatError(`${where}[${i}]`, `is tensor ${v}, out of range (the subgraph has ${count} tensors)`);
  }
  return list;
}

/** The data of every buffer: the `data` vector, or `size` bytes at file `offset` (models beyond 2 GB). */
function readBuffers(r: FbReader, model: Table): Array<Uint8Array | null> {
  const list = model.tables(Slot.Model.buffers, 'buffers');
  if (list === null) return [];
  const out = new Array<Uint8Array | null>(list.length);
  for (let i = 0; i < list.length; i++) {
    const b = list.get(i);
    const offset = b.uint64(Slot.Buffer.offset, 'offset');
    if (offset > 1) {
      const size = b.uint64(Slot.Buffer.size, 'size');
      r.check(offset, size, `buffers[${i}] (offset ${offset}, size ${size})`);
      out[i] = size > 0 ? r.bytes.subarray(offset, offset + size) : null;
      continue;
    }
    const data = b.vectorBytes(Slot.Buffer.data, 'data', 1);
    out[i] = data !== null && data.length > 0 ? data : null;
  }
  return out;
}

function readQuantization(t: Table, where: string): RawQuantization | null {
  const q = t.table(Slot.Tensor.quantization, 'quantization');
  if (q === null) return null;
  if (q.uint8(Slot.Quantization.detailsType, 'details_type', 0) !== 0) {
    throw formatError(`${where}.quantization.details`, 'is set (custom quantization is not supported)');
  }
  const scale = q.float32Vector(Slot.Quantization.scale, 'scale') ?? [];
  const zeroPoint = q.int64Vector(Slot.Quantization.zeroPoint, 'zero_point') ?? [];
  const quantizedDimension = q.int32(Slot.Quantization.quantizedDimension, 'quantized_dimension', 0);
  if (scale.length === 0 && zeroPoint.length === 0) return null;
  return { scale, zeroPoint, quantizedDimension };
}

function readTensor(t: Table, index: number, buffers: Array<Uint8Array | null>): RawTensor {
  const where = `tensor ${index}`;
  const name = t.string(Slot.Tensor.name, 'name') ?? '';
  const label = name === '' ? where : `${where} '${name}'`;
  const type = t.int8(Slot.Tensor.type, 'type', 0);
  if (type < 0 || type > TensorType.INT4) throw formatError(`${label}.type`, `is ${type}, not a TensorType`);
  const shape = t.int32Vector(Slot.Tensor.shape, 'shape') ?? [];
  if (shape.length > MAX_RANK) throw formatError(`${label}.shape`, `has rank ${shape.length}, more than the ${MAX_RANK} supported`);
  let numel = 1;
  for (const d of shape) {
    if (d < 0) throw formatError(`${label}.shape`, `[${shape.join(',')}] has a negative dimension (dynamic shapes are not supported)`);
    numel *= d;
  }
  if (numel > MAX_TENSOR_ELEMENTS) throw formatError(`${label}.shape`, `[${shape.join(',')}] has ${numel} elements, more than 2^31-1`);
  const bufferIndex = t.uint32(Slot.Tensor.buffer, 'buffer', 0);
  if (bufferIndex >= Math.max(buffers.length, 1)) {
    throw formatError(`${label}.buffer`, `is ${bufferIndex}, out of range (the model has ${buffers.length} buffers)`);
  }
  const data = buffers[bufferIndex] ?? null;
  if (data !== null) {
    const size = elementSize(type);
    if (size === 0) throw formatError(label, `is a constant of type ${tensorTypeName(type)}, which is not supported`);
    if (data.length !== numel * size) {
      throw formatError(label, `has ${data.length} bytes of data, but its shape [${shape.join(',')}] of ${tensorTypeName(type)} needs ${numel * size}`);
    }
  }
  return {
    index, name, shape, type, numel, data,
    quantization: readQuantization(t, label),
    isVariable: t.bool(Slot.Tensor.isVariable, 'is_variable', false),
    sparse: t.has(Slot.Tensor.sparsity),
  };
}

interface OperatorCode {
  code: number;
  version: number;
  custom: string | null;
}

function readOperatorCodes(model: Table): OperatorCode[] {
  const list = model.tables(Slot.Model.operatorCodes, 'operator_codes');
  if (list === null) return [];
  const out: OperatorCode[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = list.get(i);
    // TFLite's GetBuiltinCode: the larger of the deprecated int8 field and the int32 field
    const code = Math.max(c.int8(Slot.OperatorCode.deprecatedBuiltinCode, 'deprecated_builtin_code', 0),
      c.int32(Slot.OperatorCode.builtinCode, 'builtin_code', 0));
    out.push({ code, version: c.int32(Slot.OperatorCode.version, 'version', 1), custom: c.string(Slot.OperatorCode.customCode, 'custom_code') });
  }
  return out;
}

/** Parses and checks the container: identifier, schema version, buffers, the first subgraph's tensors and operators. */
export function parseModel(bytes: Uint8Array): RawModel {
  const r = new FbReader(bytes);
  if (bytes.length < 8) throw formatError('the file', `has ${bytes.length} bytes, too short for a TFLite flatbuffer`);
  const ident = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
  if (ident !== FILE_IDENTIFIER) {
    throw formatError('the file', `is not a TFLite model (file identifier ${JSON.stringify(ident)}, expected "${FILE_IDENTIFIER}")`);
  }
  const model = r.root('the model table');
  const version = model.uint32(Slot.Model.version, 'version', 0);
  if (version !== SCHEMA_VERSION) throw formatError('model.version', `is ${version}, only schema version ${SCHEMA_VERSION} is supported`);
  const description = model.string(Slot.Model.description, 'description') ?? '';
  const codes = readOperatorCodes(model);
  const buffers = readBuffers(r, model);
  const subgraphs = model.tables(Slot.Model.subgraphs, 'subgraphs');
  if (subgraphs === null || subgraphs.length === 0) throw formatError('model.subgraphs', 'is empty');
  const g = subgraphs.get(0);
  const tensorTables = g.tables(Slot.SubGraph.tensors, 'tensors');
  const tensors: RawTensor[] = [];
  for (let i = 0; i < (tensorTables?.length ?? 0); i++) tensors.push(readTensor((tensorTables as NonNullable<typeof tensorTables>).get(i), i, buffers));
  const count = tensors.length;
  const inputs = indexList(g.int32Vector(Slot.SubGraph.inputs, 'inputs'), count, 'subgraph 0 inputs', false);
  const outputs = indexList(g.int32Vector(Slot.SubGraph.outputs, 'outputs'), count, 'subgraph 0 outputs', false);
  if (outputs.length === 0) throw formatError('subgraph 0 outputs', 'is empty');
  const opTables = g.tables(Slot.SubGraph.operators, 'operators');
  const operators: RawOperator[] = [];
  for (let i = 0; i < (opTables?.length ?? 0); i++) {
    const o = (opTables as NonNullable<typeof opTables>).get(i);
    const opcodeIndex = o.uint32(Slot.Operator.opcodeIndex, 'opcode_index', 0);
    const code = codes[opcodeIndex];
    if (code === undefined) throw formatError(`operator ${i}.opcode_index`, `is ${opcodeIndex}, out of range (the model has ${codes.length} operator codes)`);
    const where = `operator ${i} (${opName(code.code)})`;
    const name = code.custom !== null && code.code === 32 ? `CUSTOM '${code.custom}'` : opName(code.code);
    operators.push({
      index: i, code: code.code, name, version: code.version,
      inputs: indexList(o.int32Vector(Slot.Operator.inputs, 'inputs'), count, `${where} inputs`, true),
      outputs: indexList(o.int32Vector(Slot.Operator.outputs, 'outputs'), count, `${where} outputs`, false),
      optionsType: o.uint8(Slot.Operator.builtinOptionsType, 'builtin_options_type', 0),
      options: o.table(Slot.Operator.builtinOptions, 'builtin_options'),
      hasCustomOptions: o.has(Slot.Operator.customOptions),
      hasOptions2: o.uint8(Slot.Operator.builtinOptions2Type, 'builtin_options_2_type', 0) !== 0,
      hasIntermediates: (o.int32Vector(Slot.Operator.intermediates, 'intermediates') ?? []).length > 0,
      mutatesVariables: (o.vectorBytes(Slot.Operator.mutatingVariableInputs, 'mutating_variable_inputs', 1) ?? new Uint8Array(0)).some((b) => b !== 0),
    });
  }
  return {
    description, subgraphName: g.string(Slot.SubGraph.name, 'name') ?? '', subgraphs: subgraphs.length, tensors, inputs, outputs, operators,
  };
}
