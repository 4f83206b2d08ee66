// Runs one benchmark by name and prints its figures as one JSON line:
//   npm run bench -- pipeline

import { memoryBenchmark } from './memory.js';
import { pipelineBenchmark } from './pipeline.js';
import { serverBenchmark } from './server.js';
import { toolsBenchmark } from './tools.js';

const BENCHMARKS: Record<string, () => Promise<Record<string, unknown>>> = {
  memory: memoryBenchmark,
  pipeline: pipelineBenchmark,
  server: serverBenchmark,
  tools: toolsBenchmark,
};

const name = process.argv[2];
const benchmark = name ? BENCHMARKS[name] : undefined;
if (!benchmark) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}>\n`);
  process.exit(2);
}
const figures = await benchmark();
process.stdout.write(`${JSON.stringify({ benchmark: name, ...figures })}\n`);
