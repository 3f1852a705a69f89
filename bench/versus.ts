// What the GEMM and conv sections share: contender labels per thread count, the table columns (qint8, the
// peer's u8×s8 and s8×s8, qint8's speed ratio to u8×s8, per thread count), thread setup, and peer sessions
// whose creation may fail without stopping the run.
import { setThreads } from '../lib';
import type { BenchCase, Column, RateUnit } from './harness';
import type { OnnxModel } from './onnx/models';
import type { CodeArray, Peer, PeerRunner } from './peers';

export const label = {
  qint8: (threads: number): string => `qint8 ${threads}T`,
  u8s8: (threads: number): string => `ort u8×s8 ${threads}T`,
  s8s8: (threads: number): string => `ort s8×s8 ${threads}T`,
};

/** Per thread count: qint8, the peer's u8×s8 and s8×s8, and qint8 / peer u8×s8 (> 1: qint8 faster). */
export function versusColumns(threads: readonly number[], withPeer: boolean): Column[] {
  return threads.flatMap((t): Column[] => {
    const q = label.qint8(t);
    if (!withPeer) return [{ header: q, contender: q }];
    return [
      { header: q, contender: q },
      { header: label.u8s8(t), contender: label.u8s8(t) },
      { header: label.s8s8(t), contender: label.s8s8(t) },
      { header: `qint8/u8×s8 ${t}T`, base: q, other: label.u8s8(t) },
    ];
  });
}

/** The outcome of one correctness check: `contender`'s output against a reference, within `tolerance`. */
export interface CheckRecord {
  name: string;
  contender: string;
  against: string;
  tolerance: number;
  maxAbsDiff: number;
  /** Elements further than `tolerance` from the reference. */
  mismatches: number;
  total: number;
  ok: boolean;
}

export function compareCodes(name: string, contender: string, against: string, got: ArrayLike<number>, want: ArrayLike<number>,
  tolerance: number, offset = 0): CheckRecord {
  let maxAbsDiff = 0;
  let mismatches = 0;
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(got[i] - offset - want[i]);
    if (d > maxAbsDiff) maxAbsDiff = d;
    if (d > tolerance) mismatches++;
  }
  if (got.length !== want.length) mismatches += Math.abs(got.length - want.length);
  return { name, contender, against, tolerance, maxAbsDiff, mismatches, total: want.length, ok: mismatches === 0 };
}

export function checkLine(c: CheckRecord): string {
  const tol = `±${c.tolerance}`;
  return c.ok
    ? `check ${c.name}: ${c.contender} = ${c.against} ${tol} (max |Δ| ${c.maxAbsDiff})`
    : `WARNING check ${c.name}: ${c.contender} differs from ${c.against} beyond ${tol} in ${c.mismatches}/${c.total} elements (max |Δ| ${c.maxAbsDiff})`;
}

/** A section's cases, with what it checked, notes to print, and the release of its sessions and operators. */
export interface Section {
  cases: BenchCase[];
  checks: CheckRecord[];
  notes: string[];
  dispose(): Promise<void>;
}

export interface SectionOptions {
  threads: readonly number[];
  peer: Peer | null;
}

let appliedThreads: number | null = null;

/** setThreads(n) unless n is already in effect; true when it changed. Every thread change of the bench goes through here. */
export function useThreads(n: number): boolean {
  if (appliedThreads === n) return false;
  setThreads(n);
  appliedThreads = n;
  return true;
}

/**
 * A qint8 case run with setThreads(threads) in effect: set outside the timing before every sample, followed,
 * when the count changed, by one untimed call (a real program does not resize its thread pool between calls).
 */
export function qint8Case(name: string, threads: number, work: number, rateUnit: RateUnit, run: () => unknown,
  params: Record<string, number | string | boolean>): BenchCase {
  return {
    name, contender: label.qint8(threads), work, rateUnit, run, params: { ...params, threads },
    setup: () => {
      if (useThreads(threads)) run();
    },
  };
}

/** A peer session as a case, or null (with a note) when onnxruntime refuses the model. */
export async function peerCase(peer: Peer, model: OnnxModel, threads: number, input: CodeArray, name: string, contender: string,
  work: number, rateUnit: RateUnit, notes: string[], runners: PeerRunner[],
  params: Record<string, number | string | boolean>): Promise<{ bench: BenchCase; runner: PeerRunner } | null> {
  try {
    const runner = await peer.create(model, threads, input);
    runners.push(runner);
    const all = { ...params, threads, activations: model.input.dtype, weights: 'int8', peer: `${peer.name}@${peer.version}` };
    return { bench: { name, contender, work, rateUnit, runAsync: () => runner.run(), params: all }, runner };
  } catch (err) {
    notes.push(`${peer.name} refused ${name} (${contender}): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return null;
  }
}
