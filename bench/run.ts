// `npx qint8 bench [--json FILE] [--rounds N] [--quick]`: runs the benchmark cases and prints a table
// (one column per contender, ratios to qint8 native), with the machine it ran on.
import * as fs from 'fs';
import * as os from 'os';
import { backend } from '../lib';
import { formatTable, progressBar, runBench } from './harness';
import { quantCases } from './quant';

export interface BenchArgs {
  json?: string;
  rounds: number;
  minSampleSeconds: number;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { rounds: 7, minSampleSeconds: 0.05 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = argv[++i];
    else if (a === '--rounds') args.rounds = Number(argv[++i]);
    else if (a === '--quick') {
      args.rounds = 3;
      args.minSampleSeconds = 0.01;
    } else throw new RangeError(`qint8 bench: unknown argument ${JSON.stringify(a)} (expected --json FILE, --rounds N, --quick)`);
  }
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new RangeError('qint8 bench: --rounds must be a positive integer');
  if (args.json === undefined && argv.includes('--json')) throw new RangeError('qint8 bench: --json needs a file name');
  return args;
}

export async function benchMain(argv: string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${process.platform}-${process.arch}, Node ${process.version}`;
  const info = backend();
  console.log(`qint8 bench — ${new Date().toISOString().slice(0, 10)} — ${machine}`);
  console.log(`backend: ${info.name}, isa ${info.isa}, threads ${info.threads}; median of ${args.rounds} alternating rounds`);
  const results = await runBench(quantCases(), { rounds: args.rounds, minSampleSeconds: args.minSampleSeconds, onProgress: progressBar('bench') });
  console.log(formatTable(results));
  if (args.json) {
    fs.writeFileSync(args.json, `${JSON.stringify({ date: new Date().toISOString(), machine, backend: info, results }, null, 2)}\n`);
    console.log(`wrote ${args.json}`);
  }
}
