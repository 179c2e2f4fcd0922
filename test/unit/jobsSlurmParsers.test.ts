import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobInfo } from '../../src/jobs/jobScheduler';
import { expandOutputPattern } from '../../src/jobs/slurm/outputPath';
import { jobsFromSqueueJson, jsonVersion, nodesFromSinfoJson, slurmNumber } from '../../src/jobs/slurm/slurmJson';
import { hintFor } from '../../src/jobs/slurm/slurmScheduler';
import { jobFromScontrol, jobsFromSacct, jobsFromSqueueText, nodesFromSinfoText, partitionsFromSinfoText } from '../../src/jobs/slurm/slurmText';
import { formatSlurmDuration, gpuCount, gpuTypes, parseExitCode, parseSlurmDuration, phaseOfState } from '../../src/jobs/slurm/slurmValues';

// The readers of what Slurm prints, on output recorded from a real Slurm 22.05.8 (the test
// cluster of test/support/slurm/start-slurm.sh; re-record with test/support/slurm/recordFixtures.ts):
// the JSON of 21.08+ and the text forms older releases are read by, recorded at the same moment,
// must describe the same jobs.

const fixtures = join(__dirname, '..', 'fixtures', 'slurm');
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

describe('Slurm output readers (recorded from Slurm 22.05.8)', () => {
  const fromJson = jobsFromSqueueJson(JSON.parse(read('squeue-22.05.json')));
  const fromText = jobsFromSqueueText(read('squeue-format-22.05.txt'));
  const byId = (jobs: readonly JobInfo[], id: string): JobInfo => {
    const job = jobs.find((j) => j.id === id);
    assert.ok(job, `job ${id} among ${jobs.map((j) => j.id).join(' ')}`);
    return job;
  };

  it('squeue --json: running, pending with reasons, failed with its exit code, arrays, held, odd names', () => {
    assert.equal(jsonVersion(JSON.parse(read('squeue-22.05.json'))), '22.05.8');
    const trainer = byId(fromJson, '11');
    assert.equal(trainer.phase, 'running');
    assert.equal(trainer.gpus, 1);
    assert.equal(trainer.timeLimitSeconds, 20 * 60);
    assert.equal(trainer.stdoutPath, '/tmp/slurmfx/slurm-11.out');
    assert.equal(trainer.exitCode, undefined, 'no exit code while it runs');
    assert.equal(byId(fromJson, '12').reason, 'Dependency');
    assert.equal(byId(fromJson, '17').reason, 'JobHeldUser');
    assert.equal(byId(fromJson, '15').reason, 'Resources');
    assert.equal(byId(fromJson, '15').name, 'odd|name x');
    assert.equal(byId(fromJson, '15').gpus, 2);
    const failed = byId(fromJson, '3');
    assert.equal(failed.state, 'FAILED');
    assert.equal(failed.phase, 'finished');
    assert.equal(failed.exitCode, 3, 'exit_code 768 is a wait status: code 3');
    assert.equal(failed.stdoutPath, '/tmp/slurmfx/fails-3.out');
    assert.equal(failed.stderrPath, '/tmp/slurmfx/fails-3.err');
    assert.equal(byId(fromJson, '16').state, 'CANCELLED');
    const task = byId(fromJson, '14_0');
    assert.equal(task.arrayJobId, '14');
    assert.equal(task.stdoutPath, '/tmp/slurmfx/sweep-14_0.out');
    const rest = byId(fromJson, '14_[2-3%2]');
    assert.equal(rest.phase, 'pending');
    assert.equal(rest.reason, 'JobArrayTaskLimit');
    assert.equal(byId(fromJson, '4_3').arrayTaskId, '3', 'the last task of an array carries the array id as its job id');
  });

  it('the text form (squeue --Format, for Slurm before 21.08) reads the same jobs as the JSON', () => {
    assert.deepEqual(fromText.map((j) => j.id).sort(), fromJson.map((j) => j.id).sort());
    for (const j of fromJson) {
      const t = byId(fromText, j.id);
      for (const key of ['name', 'user', 'state', 'phase', 'reason', 'partition', 'nodes', 'gpus', 'timeLimitSeconds', 'exitCode', 'stdoutPath', 'stderrPath', 'workDir', 'arrayJobId', 'arrayTaskId', 'startTime', 'submitTime'] as const) {
        assert.deepEqual(t[key], j[key], `${j.id} ${key}`);
      }
    }
  });

  it('sinfo: partitions with their limits, GPUs free and total from the JSON nodes and from the text nodes alike', () => {
    const jsonNodes = nodesFromSinfoJson(JSON.parse(read('sinfo-22.05.json')));
    const textNodes = nodesFromSinfoText(read('sinfo-nodes-22.05.txt'));
    assert.deepEqual(jsonNodes.map((n) => [n.name, n.gpusTotal, n.gpusUsed, n.cpus]), textNodes.map((n) => [n.name, n.gpusTotal, n.gpusUsed, n.cpus]));
    for (const nodes of [jsonNodes, textNodes]) {
      const parts = partitionsFromSinfoText(read('sinfo-partitions-22.05.txt'), nodes);
      assert.deepEqual(parts.map((p) => p.name), ['debug', 'short']);
      const [debug, short] = parts as [NonNullable<(typeof parts)[0]>, NonNullable<(typeof parts)[0]>];
      assert.equal(debug.isDefault, true);
      assert.equal(debug.maxTimeSeconds, undefined, 'infinite');
      assert.equal(short.maxTimeSeconds, 30 * 60);
      assert.equal(short.defaultTimeSeconds, 10 * 60);
      assert.equal(debug.gpusTotal, 2);
      assert.equal(debug.gpusFree, 1, 'one of the two GPUs is in use by job 11');
      assert.equal(debug.memoryMbPerNode, 4000);
      assert.equal(debug.cpusTotal, 8);
    }
  });

  it('scontrol show job: exit code, expanded output paths, unlimited time', () => {
    const job = jobFromScontrol(read('scontrol-show-job-22.05.txt'));
    assert.ok(job);
    assert.equal(job.id, '3');
    assert.equal(job.exitCode, 3);
    assert.equal(job.reason, 'NonZeroExitCode');
    assert.equal(job.stdoutPath, '/tmp/slurmfx/fails-3.out');
    assert.equal(job.timeLimitSeconds, undefined);
  });

  it('sacct --parsable2: jobs, not their steps; array tasks; a signal in ExitCode', () => {
    // sacct's own layout (a cluster with accounting): JobID|JobName|User|State|Partition|NodeList|NNodes|AllocTRES|Submit|Start|End|TimelimitRaw|ExitCode|WorkDir
    const text = [
      '21|train|ana|COMPLETED|gpu|g01|1|billing=8,cpu=8,gres/gpu=2,gres/gpu:a100=2,mem=64G,node=1|2026-12-01T10:00:00|2026-12-01T10:00:05|2026-12-01T11:00:00|120|0:0|/home/ana',
      '21.batch|batch||COMPLETED||g01|1|cpu=8,gres/gpu=2|2026-12-01T10:00:05|2026-12-01T10:00:05|2026-12-01T11:00:00||0:0|',
      '22_3|a|b|c|ana|TIMEOUT|gpu|g02|1|cpu=1|2026-12-01T10:00:00|2026-12-01T10:00:05|2026-12-01T10:01:05|1|0:15|/home/ana',
    ].join('\n');
    const jobs = jobsFromSacct(text);
    assert.deepEqual(jobs.map((j) => j.id), ['21', '22_3']);
    assert.equal(jobs[0]!.gpus, 2, 'the total, not total plus typed');
    assert.equal(jobs[0]!.timeLimitSeconds, 7200);
    assert.equal(jobs[1]!.name, 'a|b|c');
    assert.equal(jobs[1]!.state, 'TIMEOUT');
    assert.equal(jobs[1]!.exitSignal, 15);
    assert.equal(jobs[1]!.arrayJobId, '22');
  });

  it('Slurm 23.02+ JSON shapes: numbers as {set, infinite, number}, states as lists, exit codes as objects', () => {
    assert.equal(slurmNumber({ set: true, infinite: false, number: 60 }), 60);
    assert.equal(slurmNumber({ set: false, infinite: false, number: 0 }), undefined);
    assert.equal(slurmNumber({ set: true, infinite: true, number: 0 }), undefined);
    const [job] = jobsFromSqueueJson({
      jobs: [{ job_id: 7, name: 'n', job_state: ['FAILED'], state_reason: 'NonZeroExitCode', time_limit: { set: true, infinite: false, number: 5 }, exit_code: { status: ['EXITED'], return_code: { set: true, infinite: false, number: 3 } }, array_job_id: { set: true, infinite: false, number: 0 }, array_task_id: { set: false, infinite: false, number: 0 }, tres_per_node: 'gres/gpu:a100:2', node_count: { set: true, infinite: false, number: 1 }, current_working_directory: '/w', standard_output: '' }],
    });
    assert.ok(job);
    assert.equal(job.id, '7');
    assert.equal(job.phase, 'finished');
    assert.equal(job.exitCode, 3);
    assert.equal(job.timeLimitSeconds, 300);
    assert.equal(job.gpus, 2);
    assert.equal(job.stdoutPath, '/w/slurm-7.out');
    const nodes = nodesFromSinfoJson({ sinfo: [{ partition: { name: 'gpu' }, gres: { total: 'gpu:h100:8', used: 'gpu:h100:3(IDX:0-2)' }, cpus: { total: 64, idle: 10 }, nodes: { nodes: ['g01'] }, memory: { maximum: 512000 }, node: { state: ['MIXED'] } }] });
    assert.deepEqual(nodes.map((n) => [n.name, n.gpusTotal, n.gpusUsed, n.gpuTypes, n.state]), [['g01', 8, 3, ['h100'], 'mixed']]);
  });

  it('values: durations, GRES and TRES GPU counts, exit codes, states, output patterns', () => {
    assert.equal(parseSlurmDuration('30'), 1800);
    assert.equal(parseSlurmDuration('1:30'), 90);
    assert.equal(parseSlurmDuration('2:00:00'), 7200);
    assert.equal(parseSlurmDuration('1-00'), 86400);
    assert.equal(parseSlurmDuration('1-02:03:04'), 93784);
    assert.equal(parseSlurmDuration('UNLIMITED'), undefined);
    assert.equal(parseSlurmDuration('2h'), undefined);
    assert.equal(formatSlurmDuration(93784), '1-02:03:04');
    assert.equal(formatSlurmDuration(65), '1:05');
    assert.equal(gpuCount('cpu=4,mem=16G,gres/gpu=2,gres/gpu:a100=2'), 2);
    assert.equal(gpuCount('cpu=4,gres/gpu:a100=1,gres/gpu:v100=2'), 3);
    assert.equal(gpuCount('gpu:a100:4(IDX:0-3)'), 4);
    assert.equal(gpuCount('gres:gpu:2'), 2);
    assert.equal(gpuCount('gpu:1,shard:4'), 1);
    assert.equal(gpuCount('cpu=1,mem=100M,node=1,billing=1'), 0);
    assert.deepEqual(gpuTypes('gpu:a100:4,gpu:h100:2(S:0)'), ['a100', 'h100']);
    assert.deepEqual(parseExitCode('0:15'), { code: 0, signal: 15 });
    assert.equal(phaseOfState('CANCELLED by 0'), 'finished');
    assert.equal(phaseOfState('PD'), 'pending');
    assert.equal(phaseOfState('COMPLETING'), 'running');
    assert.equal(expandOutputPattern('logs/%x-%j.%%.out', { jobId: '5', name: 'train', workDir: '/w/' }), '/w/logs/train-5.%.out');
    assert.equal(expandOutputPattern('', { jobId: '9', arrayJobId: '4', arrayTaskId: '2', name: 'x', workDir: '/w' }), '/w/slurm-4_2.out');
    assert.equal(expandOutputPattern('/o/%4j.out', { jobId: '7', name: 'x' }), '/o/0007.out');
  });

  it('scheduler errors keep their words and get a hint for what to change', () => {
    assert.match(hintFor('sbatch: error: Batch job submission failed: Invalid partition name specified') ?? '', /partitions sinfo lists/);
    assert.match(hintFor('sbatch: error: Batch job submission failed: Requested node configuration is not available') ?? '', /ask for less/);
    assert.match(hintFor('sbatch: error: QOSMaxGRESPerUser') ?? '', /QOS/);
    assert.equal(hintFor('something else'), undefined);
  });
});

describe('the Jobs view rows', () => {
  it('running, then pending, then finished; an array job\'s tasks under one row placed by its liveliest task', async () => {
    const { jobRows, taskCounts } = await import('../../src/jobs/jobGroups');
    const jobs = jobsFromSqueueJson(JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'slurm', 'squeue-22.05.json'), 'utf8')));
    const rows = jobRows(jobs);
    const phases = rows.map((r) => (r.kind === 'job' ? r.job.phase : r.phase));
    assert.deepEqual(phases, [...phases].sort((a, b) => ['running', 'pending', 'finished'].indexOf(a) - ['running', 'pending', 'finished'].indexOf(b)));
    const sweep = rows.find((r) => r.kind === 'array' && r.arrayJobId === '14');
    assert.ok(sweep && sweep.kind === 'array');
    assert.equal(sweep.phase, 'running');
    assert.deepEqual(sweep.tasks.map((t) => t.id), ['14_0', '14_1', '14_[2-3%2]']);
    assert.equal(taskCounts(sweep.tasks), '2 running, 1 pending');
    assert.equal(rows.filter((r) => r.kind === 'array').length, 2, 'arrays 4 and 14');
  });
});
