// Runs only under scripts/test-arm64.js (arm64 Node in qemu-user, one emulated CPU model per run): the addon
// loaded from prebuilds/linux-arm64 and backend() chose the family expected for that model (QINT8_EXPECT_ISA).
import { backend } from '../../lib';

const expected = process.env.QINT8_EXPECT_ISA;
const underEmulation = expected !== undefined && expected !== '';

(underEmulation ? describe : describe.skip)(`arm64 under qemu (QEMU_CPU=${process.env.QEMU_CPU ?? 'max'})`, () => {
  it('runs on an arm64 Node', () => {
    expect(process.arch).toBe('arm64');
  });

  it(`loads the native addon and runs the ${expected} kernels`, () => {
    const info = backend();
    expect(info.name).toBe('native');
    expect(info.isa).toBe(expected);
    expect(info.compiledIsas).toContain('neon');
    expect(info.cpuIsas).toContain(expected);
  });
});
