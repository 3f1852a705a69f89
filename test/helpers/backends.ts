// The backends a test should cover: the pure-TypeScript kernels always, the native ones when the addon
// loaded (a test that needs native asserts that separately, so a missing addon cannot pass silently).
import { jsKernels, nativeKernels, Kernels, withKernels } from '../../lib/kernels';

export const BACKENDS: Array<[string, Kernels]> = nativeKernels ? [['native', nativeKernels], ['js', jsKernels]] : [['js', jsKernels]];

/** Runs fn under each backend's kernels. */
export function onBackend<T>(k: Kernels, fn: () => T): T {
  return withKernels(k, fn);
}

export { jsKernels, nativeKernels };
