// When the native addon loads, it must export every operator kernel of binding.d.ts: a build without them fails
// here, instead of only skipping the native halves of the operator suites.
import { nativeKernels } from '../helpers/backends';
import { missingOps } from '../helpers/ops';

if (nativeKernels === null) {
  // jest prints no titles (and no console output) for a fully skipped file: say it on stderr
  process.stderr.write('native operator kernels: skipped, the native addon is not loaded\n');
  describe.skip('native operator kernels (skipped: the native addon is not loaded)', () => {
    it('needs the native addon', () => undefined);
  });
} else {
  const native = nativeKernels;
  describe('native operator kernels', () => {
    it('the addon exports every operator kernel and its Async twin', () => {
      expect(missingOps(native)).toEqual([]);
    });
  });
}
