/**
 * `node --import tsx bench/queue-overhead.ts`: what the job queue costs. A sweep of N tiny
 * experiments (one-layer 8-unit RNNs on the adding problem, one seed per point) is trained on this
 * machine (`--workers W`) and through the queue by W `vanishing worker` processes (one experiment
 * each at a time) on a private Redis, for W = 1, 2, 4; the table gives the wall time of each and
 * the queue's overhead per job: the extra wall time over the local run, per job each lane ran
 * ((queue − local) / (N / W)). Workers are started and ready before the clock starts (a real
 * deployment keeps them running). Needs `redis-server` (apt-get install redis-server).
 *
 *   node --import tsx bench/queue-overhead.ts [--experiments 24] [--epochs 20] [--workers 1,2,4]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRedisUrl } from '../src/distributed/connection.js';
import { queueTrainer } from '../src/distributed/submit.js';
import { runSuite } from '../src/experiments/run-suite.js';
import { loadSuite } from '../src/experiments/suite.js';
// The tests' private Redis and CLI processes: the same set-up the queue is tested with.
import { startCli } from '../test/distributed/cli-process.js';
import type { CliProcess } from '../test/distributed/cli-process.js';
import { redisServerPath, startRedis } from '../test/distributed/redis-server.js';

const { values } = parseArgs({ options: { experiments: { type: 'string', default: '24' }, epochs: { type: 'string', default: '20' }, workers: { type: 'string', default: '1,2,4' } } });
const count = Number(values.experiments);
const epochs = Number(values.epochs);
const workerCounts = values.workers.split(',').map(Number);
if (redisServerPath === null) {
  process.stderr.write('queue-overhead: redis-server is not installed (apt-get install redis-server)\n');
  process.exit(2);
}

const root = mkdtempSync(join(tmpdir(), 'vanishing-queue-bench-'));
const suiteFile = join(root, 'sweep.yaml');
writeFileSync(suiteFile, `name: overhead
sweep:
  training.seed: [${Array.from({ length: count }, (_, seed) => seed).join(', ')}]
defaults:
  model: { hidden_size: 8, num_layers: 1 }
  data: { dataset: adding, length: 8, train_samples: 64, validation_samples: 16, test_samples: 16 }
  training: { epochs: ${epochs}, batch_size: 16 }
experiments:
  - name: tiny
`);

const redis = await startRedis();
const rows: string[] = [];
try {
  for (const [index, workers] of workerCounts.entries()) {
    const localStart = performance.now();
    await runSuite(loadSuite(suiteFile), { outRoot: join(root, `local-${workers}`), workers });
    const local = (performance.now() - localStart) / 1000;

    const url = redis.url(index + 1);
    const started: CliProcess[] = Array.from({ length: workers }, (_, n) => startCli(['worker', url, '--concurrency', '1', '--name', `bench-${n + 1}`], { cwd: root }));
    try {
      await Promise.all(started.map((worker) => worker.waitFor(/training experiments from/)));
      const queueStart = performance.now();
      const outcome = await runSuite(loadSuite(suiteFile), { outRoot: join(root, `queue-${workers}`), train: queueTrainer(parseRedisUrl(url)) });
      const queued = (performance.now() - queueStart) / 1000;
      const failed = outcome.experiments.filter((experiment) => experiment.summary === null).length;
      if (failed > 0) throw new Error(`${failed} experiments failed on the queue`);
      const perJob = (queued - local) / (count / workers);
      rows.push(`| ${workers} | ${local.toFixed(1)} s | ${(local / count).toFixed(2)} s | ${queued.toFixed(1)} s | ${(queued / count).toFixed(2)} s | ${perJob >= 0 ? '+' : ''}${perJob.toFixed(2)} s |`);
    } finally {
      await Promise.all(started.map((worker) => worker.kill()));
    }
  }
} finally {
  await redis.stop();
  rmSync(root, { recursive: true, force: true });
}

process.stdout.write(`${count} experiments × ${epochs} epochs (1-layer 8-unit RNN, adding, 4 batches per epoch); ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores\n\n`);
process.stdout.write('| workers | local wall | local per job | queue wall | queue per job | queue overhead per job |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n');
process.stdout.write(`${rows.join('\n')}\n`);
