// float32 CONV_2D (grouped) and DEPTHWISE_CONV_2D on NHWC input with TFLite's filter layouts and padding
// (spec 5.1-5.3 without the quantization): taps outside the image are skipped, the bias is added after the
// sum, then the fused activation clamps. Products are summed in float64 and rounded once to float32 on store.
import type { Activation, FTensor, Padding } from '../types';
import { checkFTensor } from '../quant/params';
import { floatActivationRange } from '../ops/padding';
import { integerArg, optionsArg, rangeError } from '../validate';
import {
  activationArg, biasArg, checkOutputSize, clamp, MAX_WINDOW_PARAM, pairArg, paddingArg, requireDimAtLeast, requireRank4, window1D,
} from './args';
import type { Window1D } from './args';

/** Options of float.conv2d; strides and dilations are [h, w]. Defaults [1,1], [1,1], 'VALID', 'NONE'. */
export interface FloatConvOptions {
  strides?: [number, number];
  dilations?: [number, number];
  padding?: Padding;
  activation?: Activation;
}

/** Options of float.depthwiseConv2d; depthMultiplier, when given, must equal filter.shape[3] / input channels. */
export interface FloatDepthwiseConvOptions extends FloatConvOptions {
  depthMultiplier?: number;
}

interface ConvGeometry {
  batches: number;
  channels: number;
  h: Window1D;
  w: Window1D;
  activation: Activation;
}

function convOptions(fn: string, x: FTensor, kh: number, kw: number, o: Record<string, unknown>): ConvGeometry {
  const strides = pairArg(fn, 'opts.strides', o.strides, [1, 1]);
  const dilations = pairArg(fn, 'opts.dilations', o.dilations, [1, 1]);
  const padding = paddingArg(fn, o.padding);
  const activation = activationArg(fn, o.activation);
  return {
    batches: x.shape[0],
    channels: x.shape[3],
    h: window1D(fn, 'x', x.shape, 1, padding, kh, strides[0], dilations[0]),
    w: window1D(fn, 'x', x.shape, 2, padding, kw, strides[1], dilations[1]),
    activation,
  };
}

/**
 * CONV_2D in float32. x [N,H,W,Cin], filter [Cout,KH,KW,Cin/groups] with groups = Cin / filter.shape[3]
 * (each group of Cout/groups filters reads its own Cin/groups input channels), bias [Cout] or null.
 * Output [N,OH,OW,Cout]: SAME gives ceil(in/stride), VALID trunc((in - eff + stride)/stride).
 * @throws TypeError / RangeError for any bad argument, before anything is allocated.
 */
export function conv2d(x: FTensor, filter: FTensor, bias: Float32Array | null, opts?: FloatConvOptions): FTensor {
  const fn = 'float.conv2d';
  const xt = checkFTensor(fn, 'x', x);
  const ft = checkFTensor(fn, 'filter', filter);
  requireRank4(fn, 'x', xt, '[N,H,W,C]');
  requireRank4(fn, 'filter', ft, '[Cout,KH,KW,Cin/groups]');
  requireDimAtLeast(fn, 'x', xt.shape, 3, 1);
  requireDimAtLeast(fn, 'filter', ft.shape, 1, 1);
  requireDimAtLeast(fn, 'filter', ft.shape, 2, 1);
  const [cout, kh, kw, cf] = ft.shape;
  const cin = xt.shape[3];
  if (cf < 1 || cin % cf !== 0) {
    throw rangeError(fn, 'filter.shape[3]', `a divisor of the input channels ${cin} (groups = input channels / filter.shape[3])`, cf);
  }
  const groups = cin / cf;
  if (cout % groups !== 0) {
    throw rangeError(fn, 'filter.shape[0]', `a multiple of groups = ${groups} (input channels ${cin} / filter.shape[3] ${cf})`, cout);
  }
  const g = convOptions(fn, xt, kh, kw, optionsArg(fn, 'opts', opts));
  const b = biasArg(fn, bias, cout, 'filter.shape[0]');
  const shape = Object.freeze([g.batches, g.h.output, g.w.output, cout]);
  checkOutputSize(fn, shape);

  const out = new Float32Array(g.batches * g.h.output * g.w.output * cout);
  const xd = xt.data;
  const fd = ft.data;
  const [lo, hi] = floatActivationRange(g.activation);
  const perGroup = cout / groups;
  const acc = new Float64Array(cout);
  const H = g.h.input;
  const W = g.w.input;
  let o = 0;
  for (let n = 0; n < g.batches; n++) {
    for (let oy = 0; oy < g.h.output; oy++) {
      const y0 = oy * g.h.stride - g.h.padBefore;
      for (let ox = 0; ox < g.w.output; ox++) {
        const x0 = ox * g.w.stride - g.w.padBefore;
        acc.fill(0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = y0 + ky * g.h.dilation;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = x0 + kx * g.w.dilation;
            if (ix < 0 || ix >= W) continue;
            const xBase = ((n * H + iy) * W + ix) * cin;
            const tap = ky * kw + kx;
            for (let oc = 0; oc < cout; oc++) {
              const xg = xBase + Math.floor(oc / perGroup) * cf;
              const fBase = (oc * kh * kw + tap) * cf;
              let s = acc[oc];
              for (let ic = 0; ic < cf; ic++) s += xd[xg + ic] * fd[fBase + ic];
              acc[oc] = s;
            }
          }
        }
        for (let oc = 0; oc < cout; oc++) out[o++] = clamp(b === null ? acc[oc] : acc[oc] + b[oc], lo, hi);
      }
    }
  }
  return { shape, data: out };
}

/**
 * DEPTHWISE_CONV_2D in float32. x [N,H,W,Cin], filter [1,KH,KW,Cin*M], bias [Cin*M] or null; output channel
 * oc = ic*M + m reads input channel ic. M is derived from the shapes; opts.depthMultiplier, when given, must agree.
 * @throws TypeError / RangeError for any bad argument, before anything is allocated.
 */
export function depthwiseConv2d(x: FTensor, filter: FTensor, bias: Float32Array | null, opts?: FloatDepthwiseConvOptions): FTensor {
  const fn = 'float.depthwiseConv2d';
  const xt = checkFTensor(fn, 'x', x);
  const ft = checkFTensor(fn, 'filter', filter);
  requireRank4(fn, 'x', xt, '[N,H,W,C]');
  requireRank4(fn, 'filter', ft, '[1,KH,KW,Cin*M]');
  requireDimAtLeast(fn, 'x', xt.shape, 3, 1);
  if (ft.shape[0] !== 1) throw rangeError(fn, 'filter.shape[0]', '1 (filter layout [1,KH,KW,Cin*M])', ft.shape[0]);
  requireDimAtLeast(fn, 'filter', ft.shape, 1, 1);
  requireDimAtLeast(fn, 'filter', ft.shape, 2, 1);
  const [, kh, kw, cout] = ft.shape;
  const cin = xt.shape[3];
  if (cout < 1 || cout % cin !== 0) {
    throw rangeError(fn, 'filter.shape[3]', `a positive multiple of the input channels ${cin} (Cin * depthMultiplier)`, cout);
  }
  const m = cout / cin;
  const o = optionsArg(fn, 'opts', opts);
  if (o.depthMultiplier !== undefined) {
    const dm = integerArg(fn, 'opts.depthMultiplier', o.depthMultiplier, 1, MAX_WINDOW_PARAM);
    if (dm !== m) {
      throw rangeError(fn, 'opts.depthMultiplier', `filter.shape[3] / input channels = ${cout} / ${cin} = ${m}`, dm);
    }
  }
  const g = convOptions(fn, xt, kh, kw, o);
  const b = biasArg(fn, bias, cout, 'filter.shape[3]');
  const shape = Object.freeze([g.batches, g.h.output, g.w.output, cout]);
  checkOutputSize(fn, shape);

  const out = new Float32Array(g.batches * g.h.output * g.w.output * cout);
  const xd = xt.data;
  const fd = ft.data;
  const [lo, hi] = floatActivationRange(g.activation);
  const acc = new Float64Array(cout);
  const H = g.h.input;
  const W = g.w.input;
  let p = 0;
  for (let n = 0; n < g.batches; n++) {
    for (let oy = 0; oy < g.h.output; oy++) {
      const y0 = oy * g.h.stride - g.h.padBefore;
      for (let ox = 0; ox < g.w.output; ox++) {
        const x0 = ox * g.w.stride - g.w.padBefore;
        acc.fill(0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = y0 + ky * g.h.dilation;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = x0 + kx * g.w.dilation;
            if (ix < 0 || ix >= W) continue;
            const xBase = ((n * H + iy) * W + ix) * cin;
            const fBase = (ky * kw + kx) * cout;
            for (let ic = 0; ic < cin; ic++) {
              const v = xd[xBase + ic];
              for (let j = 0; j < m; j++) {
                const oc = ic * m + j;
                acc[oc] += v * fd[fBase + oc];
              }
            }
          }
        }
        for (let oc = 0; oc < cout; oc++) out[p++] = clamp(b === null ? acc[oc] : acc[oc] + b[oc], lo, hi);
      }
    }
  }
  return { shape, data: out };
}
