// The `qint8` command line: `info` (backend, ISA, threads) and `bench` (benchmark tables).
import { backend } from './backend';

const USAGE = 'usage: qint8 info | qint8 bench [--json FILE] [--rounds N] [--quick] [--only quant,gemm,conv] [--threads 1,2] [--vs onnxruntime|none]';

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'info': {
      console.log(JSON.stringify(backend(), null, 2));
      return 0;
    }
    case 'bench': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { benchMain } = require('../bench/run') as typeof import('../bench/run');
      await benchMain(rest);
      return 0;
    }
    default:
      console.error(USAGE);
      return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
  }
}
