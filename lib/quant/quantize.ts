// quantize (float32 -> int8/uint8), dequantize, requantize: per tensor or per axis (spec section 7).
import type { FTensor, QDType, QTensor, QuantParams } from '../types';
import { DTYPES, dtypeRange } from '../types';
import { kernels } from '../kernels';
import { enumArg, optionsArg, rangeError, shapeText } from '../validate';
import { axisLayout, checkFTensor, checkQTensor, makeQTensor, normalizeParams, NormalizedParams } from './params';
import { profileArg, profileId } from './profile';
import type { Profile, Rounding } from '../types';

function allocate(dtype: QDType, n: number): Int8Array | Uint8Array {
  return dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
}

/** Per-axis parameters need the tensor's axis; per-tensor ones fit any tensor. */
function layoutFor(fn: string, arg: string, shape: readonly number[], p: NormalizedParams) {
  if (p.axis >= shape.length) throw rangeError(fn, `${arg}.axis`, `an integer in [0, ${shape.length - 1}] for shape ${shapeText(shape)}`, p.axis);
  return axisLayout(shape, p.axis);
}

/**
 * QUANTIZE: q = clamp(round(x / scale) + zeroPoint) with float32 division, rounding half away from zero
 * (TFLite's reference kernel; 'even' gives XNNPACK's and ONNX's rounding). Values beyond the range and
 * +-Infinity saturate; NaN becomes the zero point and is counted in `nanCount`.
 */
export function quantize(x: FTensor, params: QuantParams, opts?: { dtype?: QDType; rounding?: Rounding }): QTensor & { nanCount: number } {
  const fn = 'quantize';
  const t = checkFTensor(fn, 'x', x);
  const o = optionsArg(fn, 'opts', opts);
  const dtype = enumArg(fn, 'opts.dtype', o.dtype, DTYPES, 'int8');
  const rounding = enumArg(fn, 'opts.rounding', o.rounding, ['away', 'even'] as const, 'away');
  const p = normalizeParams(fn, 'params', params, dtype, t.shape);
  const { outer, channels, inner } = layoutFor(fn, 'params', t.shape, p);
  const { qmin, qmax } = dtypeRange(dtype);
  const out = allocate(dtype, t.data.length);
  const nanCount = kernels().quantize(t.data, p.scale, p.zeroPoint, outer, channels, inner, qmin, qmax, rounding === 'even' ? 1 : 0, out);
  return { ...makeQTensor(dtype, t.shape, out, p), nanCount };
}

/** DEQUANTIZE: f = f32(scale * (q - zeroPoint)), exact to one float32 rounding. */
export function dequantize(t: QTensor): FTensor {
  const fn = 'dequantize';
  const q = checkQTensor(fn, 't', t);
  const { outer, channels, inner } = layoutFor(fn, 't', q.shape, q.params);
  const out = new Float32Array(q.data.length);
  kernels().dequantize(q.data, q.params.scale, q.params.zeroPoint, outer, channels, inner, out);
  return { shape: q.shape, data: out };
}

/**
 * REQUANTIZE to new parameters (and dtype): q' = clamp(MBQM(q - z_in, M, shift) + z_out) with M, shift from
 * d = s_in / s_out (TFLite's QUANTIZE op on an integer input). int8 <-> uint8 with equal scales and zero points
 * 128 apart is q XOR 0x80. Per-axis on either side (the same axis when both). Profile default 'tflite-ref'.
 */
export function requantize(t: QTensor, params: QuantParams, opts?: { dtype?: QDType; profile?: Profile }): QTensor {
  const fn = 'requantize';
  const q = checkQTensor(fn, 't', t);
  const o = optionsArg(fn, 'opts', opts);
  const dtype = enumArg(fn, 'opts.dtype', o.dtype, DTYPES, q.dtype);
  const profile = profileArg(fn, 'opts.profile', o.profile);
  const target = normalizeParams(fn, 'params', params, dtype, q.shape);
  const input = q.params;
  if (input.axis >= 0 && target.axis >= 0 && input.axis !== target.axis) {
    throw rangeError(fn, 'params.axis', `the input's axis ${input.axis} when both are per-axis`, target.axis);
  }
  const axis = Math.max(input.axis, target.axis);
  const { outer, channels, inner } = layoutFor(fn, 'params', q.shape, { ...target, axis });
  const pick = <T extends Float32Array | Int32Array>(a: T, c: number): number => (a.length === 1 ? a[0] : a[c]);
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  const scale = new Float32Array(channels);
  const zIn = new Int32Array(channels);
  const zOut = new Int32Array(channels);
  const k = kernels();
  const pid = profileId(profile);
  for (let c = 0; c < channels; c++) {
    const sIn = pick(input.scale, c);
    const sOut = pick(target.scale, c);
    if (pid === 2) {
      scale[c] = Math.fround(sIn / sOut); // XNNPACK: the float32 ratio of the float32 scales
    } else {
      [multiplier[c], shift[c]] = k.quantizeMultiplier(sIn / sOut, pid); // d in double, as TFLite
      if (shift[c] > 30) throw rangeError(fn, 'params.scale', `such that input scale / output scale < 2^30 (channel ${c})`, sOut);
    }
    zIn[c] = pick(input.zeroPoint, c);
    zOut[c] = pick(target.zeroPoint, c);
  }
  const { qmin, qmax } = dtypeRange(dtype);
  const out = allocate(dtype, q.data.length);
  k.requantize(q.data, multiplier, shift, scale, zIn, zOut, outer, channels, inner, pid, qmin, qmax, out);
  return makeQTensor(dtype, q.shape, out, axis === target.axis ? target : { scale: target.scale, zeroPoint: target.zeroPoint, axis: -1 });
}
