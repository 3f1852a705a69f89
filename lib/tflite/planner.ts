// The activation memory plan: one arena where tensors whose lifetimes (first write .. last read, in operator steps)
// do not overlap share bytes. Greedy by size like TFLite Micro's GreedyMemoryPlanner: largest first, each at the
// lowest offset clear of every placed buffer alive at the same time.

export interface Lifetime {
  /** Bytes. */
  size: number;
  /** First step at which the buffer holds data (-1: before the first operator, e.g. a model input). */
  first: number;
  /** Last step that reads it (inclusive). */
  last: number;
}

export interface ArenaPlan {
  offsets: number[];
  /** Arena size in bytes. */
  size: number;
}

/** Offsets are multiples of this (float32 views need 4; 64 keeps SIMD loads on cache lines). */
export const ARENA_ALIGNMENT = 64;

function alignUp(n: number): number {
  return Math.ceil(n / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;
}

export function planArena(buffers: readonly Lifetime[]): ArenaPlan {
  const order = buffers.map((_, i) => i).sort((a, b) => buffers[b].size - buffers[a].size || buffers[a].first - buffers[b].first || a - b);
  const offsets = new Array<number>(buffers.length).fill(-1);
  const placed: number[] = [];
  let size = 0;
  for (const i of order) {
    const b = buffers[i];
    const need = alignUp(Math.max(b.size, 1));
    // buffers alive at the same time, by offset
    const live = placed.filter((j) => buffers[j].first <= b.last && b.first <= buffers[j].last).sort((x, y) => offsets[x] - offsets[y]);
    let candidate = 0;
    for (const j of live) {
      if (offsets[j] - candidate >= need) break;
      candidate = Math.max(candidate, offsets[j] + alignUp(Math.max(buffers[j].size, 1)));
    }
    offsets[i] = candidate;
    placed.push(i);
    size = Math.max(size, candidate + need);
  }
  return { offsets, size };
}
