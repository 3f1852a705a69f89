// GEMM cases: qint8's prepared FULLY_CONNECTED (int8, weights packed once, output preallocated) against
// onnxruntime-node's QLinearMatMul (u8×s8 and s8×s8) on the same layers and thread counts, in GOPS (2·M·N·K
// per call); a 1×16×16 call latency; and a correctness check of both against a JS reference on one shape.
import { createFullyConnected } from '../lib';
import type { PreparedOp } from '../lib';
import { randomInt32, randomInt8, toUint8Codes } from './data';
import type { BenchCase } from './harness';
import { ActivationDType, qlinearMatMulModel } from './onnx/models';
import type { PeerRunner } from './peers';
import { fullyConnectedRef } from './reference';
import { checkLine, CheckRecord, compareCodes, label, peerCase, qint8Case, Section, SectionOptions, useThreads } from './versus';

/** [M, K, N]: batch rows, depth, units. */
export const GEMM_SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1024, 1024],
  [64, 256, 256],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [49, 1024, 1024],
];
/** The shape whose outputs are checked against the JS reference (small: the reference is plain JS). */
export const GEMM_CHECK_SHAPE: readonly [number, number, number] = [64, 256, 256];
/** A tiny layer whose time is mostly call overhead. */
export const LATENCY_SHAPE: readonly [number, number, number] = [1, 16, 16];

/** One quantized layer: int8 input codes, symmetric int8 weights [N, K], int32 bias, per-tensor scales. */
interface GemmLayer {
  M: number;
  K: number;
  N: number;
  x: Int8Array;
  weights: Int8Array;
  bias: Int32Array;
  input: { scale: number; zeroPoint: number };
  weightScale: number;
  output: { scale: number; zeroPoint: number };
}

function makeLayer(M: number, K: number, N: number): GemmLayer {
  const seed = M * 7919 + K * 31 + N;
  const input = { scale: 0.02, zeroPoint: -3 };
  const weightScale = 0.01;
  // codes uniform over 8 bits: an accumulator's spread is about sqrt(K)·74²; map ±4 of it onto the 255 output steps
  const accSpread = Math.sqrt(K) * 74 * 74;
  const output = { scale: (input.scale * weightScale * 8 * accSpread) / 255, zeroPoint: 5 };
  return {
    M, K, N, input, weightScale, output,
    x: randomInt8(M * K, seed),
    weights: randomInt8(N * K, seed + 1, -127, 127),
    bias: randomInt32(N, seed + 2, -Math.round(accSpread), Math.round(accSpread)),
  };
}

function prepare(layer: GemmLayer, withBias: boolean): PreparedOp {
  return createFullyConnected({
    weights: { dtype: 'int8', shape: [layer.N, layer.K], data: layer.weights, scale: layer.weightScale, zeroPoint: 0 },
    bias: withBias ? layer.bias : null,
    input: layer.input,
    output: layer.output,
    profile: 'tflite-ref',
  });
}

/** The peer's model of the layer (no bias: QLinearMatMul has none) with activations of `dtype`. */
function peerModel(layer: GemmLayer, dtype: ActivationDType): ReturnType<typeof qlinearMatMulModel> {
  const shift = dtype === 'uint8' ? 128 : 0;
  return qlinearMatMulModel({
    M: layer.M, K: layer.K, N: layer.N, activations: dtype, weights: layer.weights, weightScale: layer.weightScale,
    input: { scale: layer.input.scale, zeroPoint: layer.input.zeroPoint + shift },
    output: { scale: layer.output.scale, zeroPoint: layer.output.zeroPoint + shift },
  });
}

const shapeName = (M: number, K: number, N: number): string => `GEMM ${M}×${K}×${N}`;

export async function gemmSection(opts: SectionOptions): Promise<Section> {
  const cases: BenchCase[] = [];
  const notes: string[] = [];
  const checks: CheckRecord[] = [];
  const ops: PreparedOp[] = [];
  const runners: PeerRunner[] = [];
  const { peer, threads } = opts;

  const addLayer = async (layer: GemmLayer, name: string, work: number, rateUnit: 'GOPS' | 'µs/call'): Promise<void> => {
    let op: PreparedOp;
    try {
      op = prepare(layer, true);
    } catch (err) {
      notes.push(`qint8 refused ${name}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    ops.push(op);
    const shape = [layer.M, layer.K];
    const out = new Int8Array(layer.M * layer.N);
    const u8Input = toUint8Codes(layer.x);
    const models = peer ? { u8: peerModel(layer, 'uint8'), s8: peerModel(layer, 'int8') } : null;
    const params = { M: layer.M, K: layer.K, N: layer.N, ops: 2 * layer.M * layer.N * layer.K };
    for (const t of threads) {
      cases.push(qint8Case(name, t, work, rateUnit, () => op.run(layer.x, shape, out), { ...params, activations: 'int8', weights: 'int8', profile: 'tflite-ref' }));
      if (peer && models) {
        for (const c of [
          await peerCase(peer, models.u8, t, u8Input, name, label.u8s8(t), work, rateUnit, notes, runners, params),
          await peerCase(peer, models.s8, t, layer.x, name, label.s8s8(t), work, rateUnit, notes, runners, params),
        ]) if (c) cases.push(c.bench);
      }
    }
  };

  for (const [M, K, N] of GEMM_SHAPES) await addLayer(makeLayer(M, K, N), shapeName(M, K, N), 2 * M * N * K, 'GOPS');
  const [lm, lk, ln] = LATENCY_SHAPE;
  await addLayer(makeLayer(lm, lk, ln), `FC ${lm}×${lk}×${ln} latency (µs/call)`, 1, 'µs/call');

  await checkGemm(opts, checks, notes);
  return {
    cases, checks, notes,
    async dispose() {
      for (const op of ops) op.dispose();
      await Promise.all(runners.map((r) => r.release()));
    },
  };
}

/**
 * qint8 must equal the JS reference exactly (with bias), at every requested thread count; the peer, whose
 * requantization is float32 with round-half-even, must be within ±1 of the same reference without bias.
 */
async function checkGemm(opts: SectionOptions, checks: CheckRecord[], notes: string[]): Promise<void> {
  const [M, K, N] = GEMM_CHECK_SHAPE;
  const layer = makeLayer(M, K, N);
  const name = shapeName(M, K, N);
  const refArgs = {
    M, K, N, x: layer.x, weights: layer.weights, inputScale: layer.input.scale, inputZeroPoint: layer.input.zeroPoint,
    weightScale: layer.weightScale, outputScale: layer.output.scale, outputZeroPoint: layer.output.zeroPoint,
  };
  const withBias = fullyConnectedRef({ ...refArgs, bias: layer.bias });
  const op = prepare(layer, true);
  try {
    for (const t of opts.threads) {
      useThreads(t);
      const got = op.run(layer.x, [M, K], new Int8Array(M * N)).data;
      checks.push(compareCodes(name, label.qint8(t), 'JS reference', got, withBias, 0));
    }
  } catch (err) {
    notes.push(`WARNING check ${name}: qint8 threw ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    op.dispose();
  }
  if (opts.peer) {
    const noBias = fullyConnectedRef({ ...refArgs, bias: null });
    const t = opts.threads[0];
    for (const [dtype, input, contender, offset] of [
      ['uint8', toUint8Codes(layer.x), label.u8s8(t), 128],
      ['int8', layer.x, label.s8s8(t), 0],
    ] as const) {
      let runner: PeerRunner | undefined;
      try {
        runner = await opts.peer.create(peerModel(layer, dtype), t, input);
        checks.push(compareCodes(`${name} (no bias)`, contender, 'JS reference', await runner.run(), noBias, 1, offset));
      } catch (err) {
        notes.push(`check ${name}: ${contender} did not run (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      } finally {
        await runner?.release();
      }
    }
  }
  for (const c of checks) notes.push(checkLine(c));
}
