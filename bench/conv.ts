// Convolution cases: qint8's prepared CONV_2D / DEPTHWISE_CONV_2D (int8 NHWC, per-channel weights, SAME padding)
// against onnxruntime-node's com.microsoft QLinearConv with channels_last=1 (u8×s8 and s8×s8), in GOPS
// (2 × MACs per call), with a ±1 cross-check of their outputs (their requantizations round differently).
import { createConv2d, createDepthwiseConv2d } from '../lib';
import type { PreparedOp } from '../lib';
import { randomInt32, randomInt8, toUint8Codes } from './data';
import type { BenchCase } from './harness';
import { ActivationDType, CONV_SHAPES, ConvShape, convGroups, convMacs, qlinearConvNhwcModel, samePadding, tfliteFilterToOihw } from './onnx/models';
import type { PeerRunner } from './peers';
import { checkLine, CheckRecord, compareCodes, label, peerCase, qint8Case, Section, SectionOptions, useThreads } from './versus';

interface ConvLayer {
  shape: ConvShape;
  x: Int8Array;
  /** TFLite layout: CONV_2D [Cout, k, k, Cin], DEPTHWISE_CONV_2D [1, k, k, Cout]. */
  filter: Int8Array;
  filterScales: Float32Array;
  bias: Int32Array;
  input: { scale: number; zeroPoint: number };
  output: { scale: number; zeroPoint: number };
}

function makeLayer(s: ConvShape, seed: number): ConvLayer {
  const depth = (s.C / convGroups(s)) * s.k * s.k;
  const input = { scale: 0.02, zeroPoint: -3 };
  const filterScales = Float32Array.from({ length: s.Cout }, (_, c) => 0.01 * (1 + (c % 4) / 8));
  const accSpread = Math.sqrt(depth) * 74 * 74;
  return {
    shape: s, input, filterScales,
    x: randomInt8(s.H * s.W * s.C, seed),
    filter: randomInt8(s.Cout * depth, seed + 1, -127, 127),
    bias: randomInt32(s.Cout, seed + 2, -Math.round(accSpread), Math.round(accSpread)),
    output: { scale: (input.scale * 0.01 * 8 * accSpread) / 255, zeroPoint: 5 },
  };
}

function prepare(l: ConvLayer): PreparedOp {
  const s = l.shape;
  const common = {
    bias: l.bias, input: l.input, output: l.output, strides: [s.stride, s.stride] as [number, number], padding: 'SAME' as const,
    profile: 'tflite-ref' as const,
  };
  const zeroPoint = new Int32Array(s.Cout);
  return s.depthwise
    ? createDepthwiseConv2d({
      ...common, depthMultiplier: s.Cout / s.C,
      filter: { dtype: 'int8', shape: [1, s.k, s.k, s.Cout], data: l.filter, scale: l.filterScales, zeroPoint, axis: 3 },
    })
    : createConv2d({ ...common, filter: { dtype: 'int8', shape: [s.Cout, s.k, s.k, s.C], data: l.filter, scale: l.filterScales, zeroPoint, axis: 0 } });
}

function peerModel(l: ConvLayer, dtype: ActivationDType, oihw: Int8Array): ReturnType<typeof qlinearConvNhwcModel> {
  const shift = dtype === 'uint8' ? 128 : 0;
  return qlinearConvNhwcModel({
    shape: l.shape, activations: dtype, filter: oihw, filterScales: l.filterScales, bias: l.bias,
    input: { scale: l.input.scale, zeroPoint: l.input.zeroPoint + shift },
    output: { scale: l.output.scale, zeroPoint: l.output.zeroPoint + shift },
  });
}

export async function convSection(opts: SectionOptions): Promise<Section> {
  const cases: BenchCase[] = [];
  const notes: string[] = [];
  const checks: CheckRecord[] = [];
  const ops: PreparedOp[] = [];
  const runners: PeerRunner[] = [];
  const { peer, threads } = opts;
  for (const [index, s] of CONV_SHAPES.entries()) {
    const l = makeLayer(s, 1000 + index * 17);
    const name = s.label;
    const work = 2 * convMacs(s);
    const inShape = [1, s.H, s.W, s.C];
    const outLength = samePadding(s.H, s.k, s.stride).out * samePadding(s.W, s.k, s.stride).out * s.Cout;
    let op: PreparedOp;
    try {
      op = prepare(l);
    } catch (err) {
      notes.push(`qint8 refused ${name}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    ops.push(op);
    const out = new Int8Array(outLength);
    const u8Input = toUint8Codes(l.x);
    const oihw = peer ? tfliteFilterToOihw(s, l.filter) : null;
    const models = peer && oihw ? { u8: peerModel(l, 'uint8', oihw), s8: peerModel(l, 'int8', oihw) } : null;
    const params = {
      H: s.H, W: s.W, C: s.C, Cout: s.Cout, k: s.k, stride: s.stride, groups: convGroups(s), padding: 'SAME', ops: work,
    };
    for (const [ti, t] of threads.entries()) {
      cases.push(qint8Case(name, t, work, 'GOPS', () => op.run(l.x, inShape, out), { ...params, activations: 'int8', weights: 'int8', profile: 'tflite-ref' }));
      if (!peer || !models) continue;
      const u8 = await peerCase(peer, models.u8, t, u8Input, name, label.u8s8(t), work, 'GOPS', notes, runners, params);
      const s8 = await peerCase(peer, models.s8, t, l.x, name, label.s8s8(t), work, 'GOPS', notes, runners, params);
      for (const c of [u8, s8]) if (c) cases.push(c.bench);
      if (ti === 0) {
        // one cross-check per shape, outside the timing
        try {
          useThreads(t);
          const mine = Int8Array.from(op.run(l.x, inShape, new Int8Array(outLength)).data);
          if (u8) checks.push(compareCodes(name, label.u8s8(t), label.qint8(t), await u8.runner.run(), mine, 1, 128));
          if (s8) checks.push(compareCodes(name, label.s8s8(t), label.qint8(t), await s8.runner.run(), mine, 1, 0));
        } catch (err) {
          notes.push(`WARNING check ${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
      }
    }
  }
  for (const c of checks) notes.push(checkLine(c));
  return {
    cases, checks, notes,
    async dispose() {
      for (const op of ops) op.dispose();
      await Promise.all(runners.map((r) => r.release()));
    },
  };
}
