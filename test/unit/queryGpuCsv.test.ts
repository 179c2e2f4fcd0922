import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inventoryFromCsv } from '../../src/gpu/gpuInventory';
import { numericValue, parseQueryGpuCsv, QueryGpuCsvError, textValue } from '../../src/gpu/queryGpuCsv';

const fixtures = join(__dirname, '../fixtures/nvidia-smi');
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

describe('nvidia-smi --query-gpu CSV (real captures)', () => {
  const captures = readdirSync(fixtures).filter((f) => f.endsWith('__load__query-gpu.csv'));

  it('has the captures to test against', () => {
    assert.equal(captures.length, 4);
  });

  for (const file of captures) {
    it(`parses every field of ${file}`, () => {
      const rows = parseQueryGpuCsv(read(file));
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.ok(row.fields.size > 150, `only ${row.fields.size} fields`);
      assert.match(textValue(row, 'name') ?? '', /^NVIDIA /);
      assert.match(textValue(row, 'uuid') ?? '', /^GPU-/);
      const total = numericValue(row, 'memory.total');
      const used = numericValue(row, 'memory.used');
      assert.ok(total !== null && total > 8000, `memory.total ${total}`);
      assert.ok(used !== null && used >= 0 && used <= total);
      // "[N/A]" and the "deprecated" notice are both "no value", never a string a UI would show.
      assert.equal(textValue(row, 'display_mode'), null);
    });
  }

  it('reads the H100 capture exactly', () => {
    const inventory = inventoryFromCsv(read('linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv'));
    assert.equal(inventory.status, 'ok');
    if (inventory.status !== 'ok') return;
    assert.equal(inventory.driverVersion, '590.48.01');
    assert.deepEqual(inventory.gpus, [
      { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-00000000-0000-0000-0000-000000000000', memoryTotalMiB: 81559, computeCapability: '9.0' },
    ]);
  });

  it('reads two GPUs and values with units from the exporter fixture', () => {
    const rows = parseQueryGpuCsv(read('exporter_query.csv'));
    assert.deepEqual(rows.map((r) => textValue(r, 'name')), ['NVIDIA GeForce RTX 2080 SUPER', 'Some Other GPU']);
    assert.deepEqual(rows.map((r) => numericValue(r, 'fan.speed')), [38, 50]);
    assert.deepEqual(rows.map((r) => numericValue(r, 'memory.used')), [575, 1234]);
    assert.equal(textValue(rows[0]!, 'serial'), null);
  });

  it('reads the 2021 sample (older driver, fewer fields)', () => {
    const rows = parseQueryGpuCsv(read('samples-2021__sample-output.csv'));
    assert.ok(rows.length >= 1);
    assert.ok(textValue(rows[0]!, 'driver_version'));
  });

  it('reads nounits output', () => {
    const rows = parseQueryGpuCsv('index, name, memory.total [MiB], power.draw [W]\n0, Tesla T4, 15360, 27.51\n');
    assert.equal(numericValue(rows[0]!, 'memory.total'), 15360);
    assert.equal(numericValue(rows[0]!, 'power.draw'), 27.51);
  });

  it('refuses output that is not a query CSV, with a clear error', () => {
    assert.throws(() => parseQueryGpuCsv(''), QueryGpuCsvError);
    assert.throws(() => parseQueryGpuCsv(read('exporter_query.csv').split('\n').slice(0, 2).join('\n') + '\nGPU-x, truncated'), /row 2 has 2 fields/);
    assert.throws(() => parseQueryGpuCsv('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.\n'), QueryGpuCsvError);
    const inventory = inventoryFromCsv('Failed to initialize NVML: Driver/library version mismatch\n');
    assert.equal(inventory.status, 'error');
  });
});
