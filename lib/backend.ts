// backend(): which implementation runs (native addon or pure TypeScript), its ISA and thread count.
import { loaded } from './binding';
import { kernels, nativeKernels } from './kernels';
import { integerArg } from './validate';

export interface BackendInfo {
  name: 'native' | 'js';
  /** The kernel family that runs: avx512vnni, avxvnni, avx2, neon-i8mm, neon-dotprod, neon, scalar (js: 'js'). */
  isa: string;
  threads: number;
  /** Why the native addon is not used, when it is not. */
  reason?: string;
  /** Families the CPU supports and this build compiled (native only). */
  cpuIsas?: string[];
  compiledIsas?: string[];
}

export function backend(): BackendInfo {
  const native = loaded.native;
  if (native === null || kernels() !== nativeKernels) {
    return { name: 'js', isa: 'js', threads: 1, reason: loaded.reason ?? 'the pure-TypeScript kernels were selected' };
  }
  const info = native.info();
  return { name: 'native', isa: info.isa, threads: info.threads, cpuIsas: info.cpuIsas, compiledIsas: info.compiledIsas };
}

/**
 * Sets how many threads one native call may use (default: every core; clamped to the core count). Results are
 * identical for any count. The TypeScript backend always runs on the calling thread.
 */
export function setThreads(n: number): void {
  integerArg('setThreads', 'n', n, 1, 1024);
  loaded.native?.setThreads(n);
}
