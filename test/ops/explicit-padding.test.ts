// Explicit convolution padding [[top, bottom], [left, right]] (ConvOptions.padding): equal to 'SAME' / 'VALID' where
// they coincide and to a PAD by the input zero point followed by a 'VALID' convolution, stateless and prepared, sync
// and async, native equal to the TypeScript kernels; and every validation message it adds. Tolerance 0.
import * as q from '../../lib/index';
import type { ConvOptions, DepthwiseConvOptions } from '../../lib/index';
import type { Kernels } from '../../lib/kernels';
import { withKernels } from '../../lib/kernels';
import type { Activation, ExplicitPadding, Profile, QTensor } from '../../lib/types';
import { BACKENDS, jsKernels, nativeKernels } from '../helpers/backends';
import { expectThrows, firstDifference, Gen } from '../helpers/ops';

const g = new Gen(20240611);

/** PAD of an NHWC tensor's height and width by its zero point, as TFLite's PAD: a plain loop. */
function padHeightWidth(x: QTensor, padding: ExplicitPadding): QTensor {
  const [[top, bottom], [left, right]] = padding;
  const [n, h, w, c] = x.shape;
  const paddedH = h + top + bottom;
  const paddedW = w + left + right;
  const count = n * paddedH * paddedW * c;
  const data = x.dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
  data.fill(x.zeroPoint as number);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let col = 0; col < w; col++) {
        for (let ch = 0; ch < c; ch++) {
          data[((b * paddedH + y + top) * paddedW + col + left) * c + ch] = x.data[((b * h + y) * w + col) * c + ch];
        }
      }
    }
  }
  return { ...x, shape: [n, paddedH, paddedW, c], data };
}

/** The explicit padding TFLite's 'SAME' computes along one dimension: [floor(total / 2), the rest]. */
function samePadding(size: number, filter: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + (filter - 1) * dilation + 1 - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** A random convolution layer: input, filter, bias, output parameters and options (padding left to the caller). */
interface Layer {
  depthwise: boolean;
  input: QTensor;
  filter: QTensor;
  bias: Int32Array | null;
  output: { scale: number; zeroPoint: number };
  opts: DepthwiseConvOptions;
}

const ACTIVATIONS: readonly Activation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const PROFILES: readonly Profile[] = ['tflite-ref', 'tflite-single', 'xnnpack-fp32'];

function randomLayer(depthwise: boolean, dtype: 'int8' | 'uint8' = 'int8'): Layer {
  const [n, h, w] = [g.int(1, 2), g.int(1, 9), g.int(1, 9)];
  const kh = g.int(1, 4);
  const kw = g.int(1, 4);
  const strides: [number, number] = [g.int(1, 3), g.int(1, 3)];
  const dilations: [number, number] = [g.int(1, 2), g.int(1, 2)];
  const uint8 = dtype === 'uint8';
  const zeroPoint = uint8 ? g.int(0, 255) : g.int(-128, 127);
  let cin: number;
  let cout: number;
  let filterShape: number[];
  if (depthwise) {
    cin = g.int(1, 20);
    cout = cin * g.int(1, 2);
    filterShape = [1, kh, kw, cout];
  } else {
    const groups = uint8 ? 1 : g.int(1, 2);
    const perGroup = g.int(1, 6);
    cin = groups * perGroup;
    cout = groups * g.int(1, 5);
    filterShape = [cout, kh, kw, perGroup];
  }
  const filterCount = filterShape.reduce((a, b) => a * b, 1);
  const perChannel = !uint8 && g.int(0, 1) === 1;
  const filter: QTensor = uint8
    ? { dtype: 'uint8', shape: filterShape, data: g.uint8(filterCount), scale: g.scale(0.002, 0.02), zeroPoint: g.int(0, 255) }
    : {
      dtype: 'int8', shape: filterShape, data: g.int8(filterCount, -127, 127),
      ...(perChannel ? { scale: g.scales(cout, 0.002, 0.02), zeroPoint: new Array<number>(cout).fill(0), axis: depthwise ? 3 : 0 } : { scale: g.scale(0.002, 0.02), zeroPoint: 0 }),
    };
  const inputCount = n * h * w * cin;
  const input: QTensor = { dtype, shape: [n, h, w, cin], data: uint8 ? g.uint8(inputCount) : g.int8(inputCount), scale: g.scale(0.02, 0.1), zeroPoint };
  return {
    depthwise, input, filter,
    bias: g.int(0, 3) === 0 ? null : g.int32(cout, -5000, 5000),
    output: { scale: g.scale(0.01, 0.2), zeroPoint: uint8 ? g.int(0, 255) : g.int(-128, 127) },
    opts: { strides, dilations, activation: g.pick(ACTIVATIONS), profile: uint8 ? 'tflite-ref' : g.pick(PROFILES) },
  };
}

/** Padding for a layer: random, up to 5 on each side, at least enough for the dilated filter to fit. */
function randomPadding(l: Layer): ExplicitPadding {
  const [, h, w] = l.input.shape;
  const dilations = l.opts.dilations as [number, number];
  const fit = (size: number, filter: number, d: number): [number, number] => {
    const before = g.int(0, 5);
    let after = g.int(0, 5);
    const extent = (filter - 1) * dilations[d] + 1;
    if (size + before + after < extent) after = extent - size - before;
    return [before, after];
  };
  return [fit(h, l.filter.shape[1], 0), fit(w, l.filter.shape[2], 1)];
}

function conv(l: Layer, opts: DepthwiseConvOptions, input = l.input): QTensor {
  return l.depthwise ? q.depthwiseConv2d(input, l.filter, l.bias, l.output, opts) : q.conv2d(input, l.filter, l.bias, l.output, opts);
}

function convAsync(l: Layer, opts: DepthwiseConvOptions): Promise<QTensor> {
  return l.depthwise ? q.depthwiseConv2dAsync(l.input, l.filter, l.bias, l.output, opts) : q.conv2dAsync(l.input, l.filter, l.bias, l.output, opts);
}

function prepared(l: Layer, padding: ExplicitPadding): q.PreparedOp {
  const p = { filter: l.filter, bias: l.bias, input: { scale: l.input.scale, zeroPoint: l.input.zeroPoint }, output: l.output, ...l.opts, padding };
  return l.depthwise ? q.createDepthwiseConv2d(p) : q.createConv2d(p);
}

function expectSame(actual: QTensor, expected: QTensor): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(firstDifference(actual.data, expected.data)).toBeNull();
}

function on<T>(k: Kernels, body: () => T): T {
  return withKernels(k, body);
}

describe.each(BACKENDS)('explicit conv padding [%s]', (_name, k) => {
  it("equals 'VALID' as [[0, 0], [0, 0]] and 'SAME' as the padding SAME computes", () => {
    for (let i = 0; i < 24; i++) {
      const l = randomLayer(i % 2 === 1);
      const [, h, w] = l.input.shape;
      const [kh, kw] = [l.filter.shape[1], l.filter.shape[2]];
      const strides = l.opts.strides as [number, number];
      const dilations = l.opts.dilations as [number, number];
      const same: ExplicitPadding = [samePadding(h, kh, strides[0], dilations[0]), samePadding(w, kw, strides[1], dilations[1])];
      on(k, () => {
        expectSame(conv(l, { ...l.opts, padding: same }), conv(l, { ...l.opts, padding: 'SAME' }));
        if (h >= (kh - 1) * dilations[0] + 1 && w >= (kw - 1) * dilations[1] + 1) {
          expectSame(conv(l, { ...l.opts, padding: [[0, 0], [0, 0]] }), conv(l, { ...l.opts, padding: 'VALID' }));
        }
      });
    }
  });

  it("equals PAD by the input zero point then a 'VALID' convolution: conv, grouped conv, depthwise, uint8, prepared", () => {
    const layers = [
      ...Array.from({ length: 20 }, () => randomLayer(false)),
      ...Array.from({ length: 20 }, () => randomLayer(true)),
      ...Array.from({ length: 4 }, (_, i) => randomLayer(i % 2 === 1, 'uint8')),
    ];
    for (const l of layers) {
      const padding = randomPadding(l);
      on(k, () => {
        const expected = conv(l, { ...l.opts, padding: 'VALID' }, padHeightWidth(l.input, padding));
        expectSame(conv(l, { ...l.opts, padding }), expected);
        const op = prepared(l, padding);
        expectSame(op.run(l.input), expected);
        op.dispose();
      });
    }
  });

  it('pads wider than the filter (windows entirely in the padding) and mobilenet-like layers', () => {
    const cases: Array<{ depthwise: boolean; shape: number[]; filter: number[]; strides: [number, number]; padding: ExplicitPadding }> = [
      { depthwise: true, shape: [1, 12, 12, 32], filter: [1, 3, 3, 32], strides: [1, 1], padding: [[1, 1], [1, 1]] },
      { depthwise: true, shape: [1, 12, 12, 48], filter: [1, 3, 3, 48], strides: [2, 2], padding: [[1, 1], [1, 1]] },
      { depthwise: true, shape: [1, 5, 6, 40], filter: [1, 3, 3, 40], strides: [1, 2], padding: [[7, 0], [9, 4]] },
      { depthwise: false, shape: [1, 16, 16, 3], filter: [8, 3, 3, 3], strides: [2, 2], padding: [[1, 1], [1, 1]] },
      { depthwise: false, shape: [1, 4, 5, 8], filter: [16, 3, 3, 8], strides: [1, 1], padding: [[6, 2], [0, 7]] },
      { depthwise: false, shape: [2, 3, 3, 4], filter: [4, 1, 1, 4], strides: [1, 1], padding: [[2, 2], [3, 1]] },
    ];
    for (const c of cases) {
      const cout = c.depthwise ? c.filter[3] : c.filter[0];
      const l: Layer = {
        depthwise: c.depthwise,
        input: { dtype: 'int8', shape: c.shape, data: g.int8(c.shape.reduce((a, b) => a * b, 1)), scale: 0.05, zeroPoint: -7 },
        filter: { dtype: 'int8', shape: c.filter, data: g.int8(c.filter.reduce((a, b) => a * b, 1), -127, 127), scale: g.scales(cout, 0.005, 0.02),
          zeroPoint: new Array<number>(cout).fill(0), axis: c.depthwise ? 3 : 0 },
        bias: g.int32(cout, -3000, 3000),
        output: { scale: 0.04, zeroPoint: 5 },
        opts: { strides: c.strides, activation: 'RELU6' },
      };
      on(k, () => {
        const expected = conv(l, { ...l.opts, padding: 'VALID' }, padHeightWidth(l.input, c.padding));
        expectSame(conv(l, { ...l.opts, padding: c.padding }), expected);
        const op = prepared(l, c.padding);
        expectSame(op.run(l.input), expected);
        op.dispose();
      });
    }
  });

  it('async twins give the same bytes; a prepared operator keeps its own copy of the padding', async () => {
    const l = randomLayer(true);
    const [rows, columns] = randomPadding(l);
    const padding: [[number, number], [number, number]] = [[rows[0], rows[1]], [columns[0], columns[1]]];
    const expected = on(k, () => conv(l, { ...l.opts, padding }));
    expectSame(await on(k, () => convAsync(l, { ...l.opts, padding })), expected);
    const op = on(k, () => prepared(l, padding));
    padding[0][0] += 1;
    padding[1] = [0, 0];
    expectSame(on(k, () => op.run(l.input)), expected);
    expectSame(await on(k, () => op.runAsync(l.input)), expected);
    op.dispose();
  });
});

describe('explicit conv padding: native equals the TypeScript kernels', () => {
  (nativeKernels === null ? it.skip : it)(`bit for bit on random layers${nativeKernels === null ? ' (skipped: no native addon)' : ''}`, () => {
    const native = nativeKernels as Kernels;
    for (let i = 0; i < 30; i++) {
      const l = randomLayer(i % 2 === 0);
      const padding = randomPadding(l);
      const ofNative = on(native, () => conv(l, { ...l.opts, padding }));
      expectSame(on(jsKernels, () => conv(l, { ...l.opts, padding })), ofNative);
      const op = on(native, () => prepared(l, padding));
      expectSame(on(native, () => op.run(l.input)), ofNative);
      op.dispose();
    }
  });
});

describe('explicit conv padding: validation', () => {
  const x: QTensor = { dtype: 'int8', shape: [1, 4, 4, 2], data: new Int8Array(32), scale: 0.1, zeroPoint: 0 };
  const filter: QTensor = { dtype: 'int8', shape: [3, 3, 3, 2], data: new Int8Array(54), scale: 0.01, zeroPoint: 0 };
  const dwFilter: QTensor = { dtype: 'int8', shape: [1, 3, 3, 2], data: new Int8Array(18), scale: 0.01, zeroPoint: 0 };
  const out = { scale: 0.2, zeroPoint: 0 };
  const bad = (v: unknown): never => v as never; // deliberately wrong argument types
  const expected = "[[top, bottom], [left, right]] of integers >= 0";
  const cases: Array<[string, () => unknown, TypeErrorConstructor | RangeErrorConstructor, string]> = [
    ['a number', () => q.conv2d(x, filter, null, out, { padding: bad(1) }), TypeError,
      `conv2d: opts.padding must be 'SAME', 'VALID' or ${expected}, got 1`],
    ['an unknown name', () => q.conv2d(x, filter, null, out, { padding: bad('same') }), RangeError,
      'conv2d: opts.padding must be one of \'SAME\', \'VALID\', got "same"'],
    ['one pair', () => q.conv2d(x, filter, null, out, { padding: bad([1, 1]) }), TypeError, `conv2d: opts.padding must be ${expected}, got [1,1]`],
    ['one row', () => q.conv2d(x, filter, null, out, { padding: bad([[1, 1]]) }), RangeError, `conv2d: opts.padding must be ${expected}, got [[1,1]]`],
    ['a short row', () => q.conv2d(x, filter, null, out, { padding: bad([[1, 1], [1]]) }), RangeError,
      `conv2d: opts.padding must be ${expected}, got [[1,1],[1]]`],
    ['a negative value', () => q.conv2d(x, filter, null, out, { padding: [[1, -1], [0, 0]] }), RangeError,
      `conv2d: opts.padding must be ${expected}, got [[1,-1],[0,0]]`],
    ['a fraction', () => q.depthwiseConv2d(x, dwFilter, null, out, { padding: [[0, 0], [0.5, 0]] }), RangeError,
      `depthwiseConv2d: opts.padding must be ${expected}, got [[0,0],[0.5,0]]`],
    ['a string value', () => q.conv2d(x, filter, null, out, { padding: bad([[1, '1'], [0, 0]]) }), TypeError,
      `conv2d: opts.padding must be ${expected}, got [[1,string],[0,0]]`],
    ['beyond int32', () => q.conv2d(x, filter, null, out, { padding: [[2 ** 31, 0], [0, 0]] }), RangeError,
      `conv2d: opts.padding must be ${expected}, got [[2147483648,0],[0,0]]`],
    ['an extent beyond int32', () => q.conv2d(x, filter, null, out, { padding: [[2 ** 31 - 1, 0], [0, 0]] }), RangeError,
      'conv2d: opts.padding must be small enough that input size plus padding plus dilated filter extent stays below 2^31, got [[2147483647,0],[0,0]]'],
    ['padded input still smaller than the filter', () => q.conv2d({ ...x, shape: [1, 1, 1, 2], data: new Int8Array(2) }, filter, null, out,
      { padding: [[0, 1], [1, 1]] }), RangeError,
    'conv2d: input.shape must be at least the filter size 3x3 in height and width once padded by [[0,1],[1,1]], got [1,1,1,2]'],
    ['prepared: a number', () => q.createDepthwiseConv2d({ filter: dwFilter, bias: null, input: x, output: out, padding: bad(0) }), TypeError,
      `createDepthwiseConv2d: p.padding must be 'SAME', 'VALID' or ${expected}, got 0`],
    ['prepared: a negative value', () => q.createConv2d({ filter, bias: null, input: x, output: out, padding: [[0, 0], [-2, 0]] }), RangeError,
      `createConv2d: p.padding must be ${expected}, got [[0,0],[-2,0]]`],
    ['prepared run: padded input smaller than the dilated filter', () => q.createConv2d({ filter, bias: null, input: x, output: out,
      dilations: [2, 1], padding: [[1, 1], [0, 0]] }).run({ ...x, shape: [1, 2, 4, 2], data: new Int8Array(16) }), RangeError,
    'conv2d.run: x.shape must be at least the dilated filter extent 5x3 in height and width once padded by [[1,1],[0,0]], got [1,2,4,2]'],
  ];
  it.each(cases)('%s', (_title, call, errorClass, message) => expectThrows(call, errorClass, message));

  it('the types accept explicit padding, mutable or readonly', () => {
    const mutable: ConvOptions = { padding: [[1, 2], [0, 3]] };
    const readonly = [[1, 1], [1, 1]] as const;
    const both: DepthwiseConvOptions[] = [mutable, { padding: readonly, depthMultiplier: 1 }];
    expect(both.map((o) => o.padding)).toEqual([[[1, 2], [0, 3]], [[1, 1], [1, 1]]]);
  });
});
