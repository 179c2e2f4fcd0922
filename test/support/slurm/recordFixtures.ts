// Records what the local Slurm prints for the text readers' fixtures (test/fixtures/slurm/):
//   npx tsx test/support/slurm/recordFixtures.ts   (with the test cluster's jobs in the queue)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SINFO_PARTITION_FORMAT, sinfoNodeFormatArg, squeueFormatArg } from '../../../src/jobs/slurm/slurmText';

const dir = join(__dirname, '..', '..', 'fixtures', 'slurm');
const version = /(\d+\.\d+)/.exec(execFileSync('sinfo', ['--version'], { encoding: 'utf8' }))![1]!;
const save = (name: string, argv: string[]): void => writeFileSync(join(dir, `${name}-${version}.txt`), execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }));
save('squeue-format', ['squeue', '--noheader', '--states=all', `--Format=${squeueFormatArg()}`]);
save('sinfo-nodes', ['sinfo', '--noheader', '--Node', `--Format=${sinfoNodeFormatArg()}`]);
save('sinfo-partitions', ['sinfo', '--noheader', `--format=${SINFO_PARTITION_FORMAT}`]);
writeFileSync(join(dir, `squeue-${version}.json`), execFileSync('squeue', ['--json'], { encoding: 'utf8' }));
writeFileSync(join(dir, `sinfo-${version}.json`), execFileSync('sinfo', ['--json'], { encoding: 'utf8' }));
