// What loadTflite refuses, and how it says so: unsupported operators, versions and options are load-time
// errors naming the operator, its index and the option; truncated or corrupted files (every prefix of a
// model, random byte flips, absurd shapes, buffers past the end) are a RangeError naming what is wrong.
import * as q from '../../lib/index';
import type { TfliteModel } from '../../lib/tflite';
import { MAX_ARENA_BYTES } from '../../lib/tflite/model';
import { Gen } from '../helpers/ops';
import { buildTflite, ModelDef, OP, OpDef, options, table, TensorDef } from './builder';

const g = new Gen(31337);

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  const result = await p.then(() => null, (err: unknown) => err);
  if (!(result instanceof Error)) throw new Error(`expected a rejection, got ${String(result)}`);
  return result;
}

async function expectLoadError(def: ModelDef | Uint8Array, message: string | RegExp): Promise<void> {
  const err = await rejection(q.loadTflite(def instanceof Uint8Array ? def : buildTflite(def)));
  expect(err).toBeInstanceOf(RangeError);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
}

const x: TensorDef = { name: 'x', shape: [1, 5, 5, 2], type: 'int8', scale: 0.05, zeroPoint: -3 };
const y: TensorDef = { name: 'y', shape: [1, 5, 5, 3], type: 'int8', scale: 0.08, zeroPoint: 4 };
const filter: TensorDef = { name: 'w', shape: [3, 3, 3, 2], type: 'int8', data: g.int8(54, -127, 127), scale: [0.01, 0.02, 0.03], zeroPoint: [0, 0, 0], quantizedDimension: 0 };
const bias: TensorDef = { name: 'b', shape: [3], type: 'int32', data: g.int32(3, -100, 100) };

/** One CONV_2D (input 0, filter 1, bias 2, output 3), with the operator and tensors overridable. */
function convModel(op: Partial<OpDef> = {}, tensors: Partial<Record<0 | 1 | 2 | 3, TensorDef>> = {}): ModelDef {
  return {
    tensors: [tensors[0] ?? x, tensors[1] ?? filter, tensors[2] ?? bias, tensors[3] ?? y],
    ops: [{ op: OP.CONV_2D, version: 3, inputs: [0, 1, 2], outputs: [3], options: options.conv2d({ padding: 'SAME' }), ...op }],
    inputs: [0],
    outputs: [3],
  };
}

/** A small model with every kind of table: CONV -> RESHAPE -> FC -> SOFTMAX. */
function smallModel(): Uint8Array {
  return buildTflite({
    tensors: [
      x, filter, bias, y,
      { shape: [2], type: 'int32', data: Int32Array.of(1, 75) },
      { name: 'flat', shape: [1, 75], type: 'int8', scale: 0.08, zeroPoint: 4 },
      { shape: [4, 75], type: 'int8', data: g.int8(300, -127, 127), scale: 0.01 },
      { shape: [4], type: 'int32', data: g.int32(4, -100, 100) },
      { name: 'logits', shape: [1, 4], type: 'int8', scale: 0.2, zeroPoint: 0 },
      { name: 'probs', shape: [1, 4], type: 'int8', scale: 1 / 256, zeroPoint: -128 },
    ],
    ops: [
      { op: OP.CONV_2D, version: 3, inputs: [0, 1, 2], outputs: [3], options: options.conv2d({ padding: 'SAME', activation: 'RELU' }) },
      { op: OP.RESHAPE, inputs: [3, 4], outputs: [5] },
      { op: OP.FULLY_CONNECTED, version: 4, inputs: [5, 6, 7], outputs: [8], options: options.fullyConnected() },
      { op: OP.SOFTMAX, inputs: [8], outputs: [9], options: options.softmax(1) },
    ],
    inputs: [0],
    outputs: [9],
  });
}

describe('unsupported operators, versions and options are refused at load, naming the operator, its index and the option', () => {
  it('an operator the runtime does not have', async () => {
    await expectLoadError({
      tensors: [x, { ...x, name: 'x2' }, { ...x, name: 'out' }],
      ops: [{ op: OP.MUL, inputs: [0, 1], outputs: [2] }],
      inputs: [0, 1],
      outputs: [2],
    }, /^loadTflite: operator 0 \(MUL\): is not supported \(supported: ADD, AVERAGE_POOL_2D, .*TRANSPOSE\)$/);
    await expectLoadError({
      tensors: [x, { ...x, name: 'out' }],
      ops: [{ op: OP.CUSTOM, custom: 'MyOp', inputs: [0], outputs: [1] }],
      inputs: [0],
      outputs: [1],
    }, /^loadTflite: operator 0 \(CUSTOM 'MyOp'\): is not supported/);
  });

  it('a fused activation other than NONE, RELU, RELU6, RELU_N1_TO_1', async () => {
    await expectLoadError(convModel({ options: options.conv2d({ activation: 'TANH' }) }),
      'loadTflite: operator 0 (CONV_2D): option fused_activation_function TANH is not supported (supported: NONE, RELU, RELU6, RELU_N1_TO_1)');
    await expectLoadError(convModel({ options: table(1, [[0, 'i8', 0, 0], [1, 'i32', 1, 0], [2, 'i32', 1, 0], [3, 'i8', 9, 0]]) }),
      'loadTflite: operator 0 (CONV_2D): option fused_activation_function 9 is not supported (supported: NONE, RELU, RELU6, RELU_N1_TO_1)');
  });

  it('an unsupported padding, zero stride or dilation, missing or mistyped options', async () => {
    await expectLoadError(convModel({ options: table(1, [[0, 'i8', 2, 0], [1, 'i32', 1, 0], [2, 'i32', 1, 0]]) }),
      'loadTflite: operator 0 (CONV_2D): option padding 2 is not supported (supported: SAME, VALID)');
    await expectLoadError(convModel({ options: table(1, [[0, 'i8', 0, 0], [1, 'i32', 1, 0]]) }),
      'loadTflite: operator 0 (CONV_2D): option stride_h is 0; an integer >= 1 is expected');
    await expectLoadError(convModel({ options: options.conv2d({ dilation: [1, -2] }) }),
      'loadTflite: operator 0 (CONV_2D): option dilation_w_factor is -2; an integer >= 1 is expected');
    await expectLoadError(convModel({ options: undefined }), 'loadTflite: operator 0 (CONV_2D): has no builtin_options (Conv2DOptions is required)');
    await expectLoadError(convModel({ options: options.add() }),
      'loadTflite: operator 0 (CONV_2D): has builtin_options of union type 11; Conv2DOptions (1) is expected');
  });

  it('an operator version beyond what TFLite registers', async () => {
    await expectLoadError(convModel({ version: 99 }), 'loadTflite: operator 0 (CONV_2D): version 99 is not supported (versions 1 to 8)');
    await expectLoadError(convModel({ version: 0 }), 'loadTflite: operator 0 (CONV_2D): version 0 is not supported (versions 1 to 8)');
  });

  it('asymmetric int8 weights, weights quantized along the wrong dimension, non-constant weights', async () => {
    await expectLoadError(convModel({}, { 1: { ...filter, zeroPoint: [0, 3, 0] } }),
      "loadTflite: operator 0 (CONV_2D): filter tensor 1 'w' has zero point 3: asymmetric int8 weights are not supported (zero point 0 only)");
    await expectLoadError(convModel({}, { 1: { ...filter, quantizedDimension: 3 } }),
      "loadTflite: operator 0 (CONV_2D): filter tensor 1 'w' is quantized along dimension 3; per-channel weights must use dimension 0");
    await expectLoadError({ ...convModel({}, { 1: { ...filter, data: undefined } }), inputs: [0, 1] },
      "loadTflite: operator 0 (CONV_2D): filter tensor 1 'w' must be a constant tensor (its data in the model)");
    await expectLoadError(convModel({}, { 1: { ...filter, data: undefined } }), "loadTflite: operator 0 (CONV_2D) reads tensor 1 'w' before any operator writes it");
  });

  it('FULLY_CONNECTED: shuffled weights; keep_num_dims is supported', async () => {
    const fc = (o: Parameters<typeof options.fullyConnected>[0], outShape: number[]): ModelDef => ({
      tensors: [{ shape: [2, 3, 8], type: 'int8', scale: 0.1 }, { shape: [4, 8], type: 'int8', data: g.int8(32, -127, 127), scale: 0.01 },
        { shape: outShape, type: 'int8', scale: 0.2 }],
      ops: [{ op: OP.FULLY_CONNECTED, version: 5, inputs: [0, 1, -1], outputs: [2], options: options.fullyConnected(o) }],
      inputs: [0],
      outputs: [2],
    });
    await expectLoadError(fc({ weightsFormat: 1 }, [6, 4]), 'loadTflite: operator 0 (FULLY_CONNECTED): option weights_format SHUFFLED4x16INT8 is not supported (DEFAULT only)');
    const m = await q.loadTflite(buildTflite(fc({ keepNumDims: true }, [2, 3, 4])));
    expect(m.outputs[0].shape).toEqual([2, 3, 4]);
    await expectLoadError(fc({ keepNumDims: true }, [6, 4]),
      'loadTflite: operator 0 (FULLY_CONNECTED): output tensor 2 \'t2\' has shape [6,4], but the operator computes [2,3,4]');
  });

  it('wrong quantization of SOFTMAX / LOGISTIC outputs, CONCATENATION with an activation, pooling that changes parameters', async () => {
    await expectLoadError({
      tensors: [{ shape: [1, 4], type: 'int8', scale: 0.1 }, { shape: [1, 4], type: 'int8', scale: 1 / 255, zeroPoint: -128 }],
      ops: [{ op: OP.SOFTMAX, inputs: [0], outputs: [1], options: options.softmax() }],
      inputs: [0],
      outputs: [1],
    }, /^loadTflite: operator 0 \(SOFTMAX\): output tensor 1 't1' has scale 0\.0039215.* \/ zero point -128; int8 SOFTMAX writes scale 1\/256, zero point -128$/);
    await expectLoadError({
      tensors: [{ shape: [2, 3], type: 'int8', scale: 0.1 }, { shape: [2, 3], type: 'int8', scale: 1 / 256, zeroPoint: 0 }],
      ops: [{ op: OP.LOGISTIC, inputs: [0], outputs: [1] }],
      inputs: [0],
      outputs: [1],
    }, "loadTflite: operator 0 (LOGISTIC): output tensor 1 't1' has scale 0.00390625 / zero point 0; int8 LOGISTIC writes scale 1/256, zero point -128");
    await expectLoadError({
      tensors: [{ shape: [1, 4], type: 'int8', scale: 0.1 }, { shape: [1, 4], type: 'int8', scale: 0.1 }, { shape: [1, 8], type: 'int8', scale: 0.1 }],
      ops: [{ op: OP.CONCATENATION, inputs: [0, 1], outputs: [2], options: options.concatenation(1, 'RELU') }],
      inputs: [0, 1],
      outputs: [2],
    }, 'loadTflite: operator 0 (CONCATENATION): option fused_activation_function RELU is not supported (NONE only)');
    await expectLoadError({
      tensors: [{ shape: [1, 4, 4, 1], type: 'int8', scale: 0.1 }, { shape: [1, 2, 2, 1], type: 'int8', scale: 0.2 }],
      ops: [{ op: OP.MAX_POOL_2D, inputs: [0], outputs: [1], options: options.pool([2, 2], { stride: [2, 2] }) }],
      inputs: [0],
      outputs: [1],
    }, /^loadTflite: operator 0 \(MAX_POOL_2D\): pooling keeps the quantization: input scale 0\.10000000149011612 \/ zero point 0 and output scale 0\.20000000298023224/);
  });

  it('shapes the operator does not compute, types it does not take, reads before writes', async () => {
    await expectLoadError(convModel({}, { 3: { ...y, shape: [1, 5, 5, 4] } }),
      "loadTflite: operator 0 (CONV_2D): output tensor 3 'y' has shape [1,5,5,4], but the operator computes [1,5,5,3]");
    await expectLoadError(convModel({}, { 0: { ...x, type: 'int16' } }), /^loadTflite: model input 0 \(tensor 0 'x'\) is INT16; INT8, UINT8 or FLOAT32 is supported$/);
    await expectLoadError({ ...convModel(), inputs: [] }, "loadTflite: operator 0 (CONV_2D) reads tensor 0 'x' before any operator writes it");
    await expectLoadError(convModel({ inputs: [0, 1, 2, 2] }), 'loadTflite: operator 0 (CONV_2D): has 4 inputs, expected 2 to 3');
    await expectLoadError(convModel({ inputs: [0, 1, 7] }), 'loadTflite: operator 0 (CONV_2D) inputs[2] is tensor 7, out of range (the subgraph has 4 tensors)');
  });
});

describe('malformed files are rejected with a RangeError naming the problem, never a crash or a huge allocation', () => {
  const good = smallModel();

  it('the small model itself loads and runs', async () => {
    const m = await q.loadTflite(good);
    expect(m.run([new Int8Array(50)])[0].length).toBe(4);
  });

  it('every prefix of the file', async () => {
    const messages = new Set<string>();
    for (let n = 0; n < good.length; n++) {
      const err = await rejection(q.loadTflite(good.slice(0, n)));
      expect(err).toBeInstanceOf(RangeError);
      expect(err.message).toMatch(/^loadTflite: /);
      messages.add(err.message.replace(/\d+/g, 'N'));
    }
    expect([...messages].some((m) => m.includes('lies outside the file'))).toBe(true);
  });

  it('random byte flips: each file loads and runs, or is refused with a loadTflite RangeError', async () => {
    const r = new Gen(4242);
    let refused = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const bytes = good.slice();
      const flips = r.int(1, 4);
      for (let f = 0; f < flips; f++) bytes[r.int(0, bytes.length - 1)] ^= 1 << r.int(0, 7);
      let m: TfliteModel | null = null;
      try {
        m = await q.loadTflite(bytes);
      } catch (err) {
        refused++;
        if (!(err instanceof RangeError) || !err.message.startsWith('loadTflite: ')) {
          throw new Error(`trial ${trial}: unexpected ${String(err)}${err instanceof Error ? `\n${err.stack}` : ''}`);
        }
      }
      if (m !== null) {
        const inputs = m.inputs.map((t) => (t.dtype === 'float32' ? new Float32Array(t.shape.reduce((a, b) => a * b, 1)) : new Int8Array(t.shape.reduce((a, b) => a * b, 1))));
        m.run(inputs);
        m.dispose();
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('absurd shapes: 2^31 elements, negative or huge dimensions, activations beyond the arena cap', async () => {
    await expectLoadError(convModel({}, { 3: { ...y, shape: [2 ** 31 - 1, 2, 1, 3] } }),
      "loadTflite: tensor 3 'y'.shape [2147483647,2,1,3] has 12884901882 elements, more than 2^31-1");
    await expectLoadError(convModel({}, { 0: { ...x, shape: [1, -5, 5, 2] } }),
      "loadTflite: tensor 0 'x'.shape [1,-5,5,2] has a negative dimension (dynamic shapes are not supported)");
    await expectLoadError(convModel({}, { 1: { ...filter, shape: [3, 3, 3, 2 ** 20] } }),
      "loadTflite: tensor 1 'w' has 54 bytes of data, but its shape [3,3,3,1048576] of INT8 needs 28311552");
    const big = 2 ** 30;
    await expectLoadError({
      tensors: [{ shape: [big], type: 'int8', scale: 0.1 }, { shape: [big], type: 'int8', scale: 0.1 }],
      ops: [{ op: OP.RESHAPE, inputs: [0], outputs: [1] }],
      inputs: [0],
      outputs: [1],
    }, `loadTflite: the activations need ${big} bytes, more than the ${MAX_ARENA_BYTES} supported (the largest is tensor 0 't0' of shape [${big}])`);
  });

  it('buffers outside the file, and data stored after the flatbuffer (Buffer.offset / size)', async () => {
    const external = (offset: number, size: number): ModelDef => convModel({}, { 2: { ...bias, data: undefined, external: { offset, size } } });
    await expectLoadError(external(1e9, 12), /^loadTflite: buffers\[\d\] \(offset 1000000000, size 12\) lies outside the file/);
    // the bias appended after the flatbuffer at an offset the model names
    const probe = buildTflite(external(2, 12));
    const offset = probe.length + 16;
    const head = buildTflite(external(offset, 12));
    expect(head.length).toBe(probe.length);
    const file = new Uint8Array(offset + 12);
    file.set(head);
    file.set(new Uint8Array((bias.data as Int32Array).buffer), offset);
    const a = await q.loadTflite(file);
    const b = await q.loadTflite(buildTflite(convModel()));
    const input = g.int8(50);
    expect(Array.from(a.run([input])[0])).toEqual(Array.from(b.run([input])[0]));
  });

  it('the wrong file kind or schema version', async () => {
    await expectLoadError(new Uint8Array(100), 'loadTflite: the file is not a TFLite model (file identifier "\\u0000\\u0000\\u0000\\u0000", expected "TFL3")');
    await expectLoadError({ ...convModel(), version: 2 }, 'loadTflite: model.version is 2, only schema version 3 is supported');
    const err = await rejection(q.loadTflite(42 as unknown as Uint8Array));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('loadTflite: src must be a file path, a Uint8Array or an ArrayBuffer, got 42');
  });
});

describe('run arguments', () => {
  it('are checked: count, type, length', async () => {
    const m = await q.loadTflite(buildTflite(convModel()));
    expect(() => m.run([])).toThrow(new RangeError('run: inputs must be an array of 1 typed array (one per model input), got []'));
    expect(() => m.run([new Int16Array(50) as unknown as Int8Array])).toThrow(
      new TypeError("run: inputs[0] must be an Int8Array, a Uint8Array (codes) or a Float32Array (values to quantize) for x, got Int16Array(50)"));
    expect(() => m.run([new Int8Array(49)])).toThrow(new RangeError('run: inputs[0] must be of length 50 for shape [1,5,5,2], got Int8Array(49)'));
    await expect(m.runAsync([new Int8Array(3)])).rejects.toThrow('runAsync: inputs[0] must be of length 50');
    expect(() => m.run([new Float32Array(50).fill(NaN)])).toThrow('run: inputs[0] must be free of NaN, got "50 NaN values"');
    // codes may come as either byte type: a Uint8Array for an int8 input is the same bytes
    const codes = g.int8(50);
    expect(Array.from(m.run([new Uint8Array(codes.buffer)])[0])).toEqual(Array.from(m.run([codes])[0]));
  });
});
