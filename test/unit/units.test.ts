import assert from 'node:assert/strict';
import { formatBytes, formatCount } from '../../src/common/units';

// One formatter for sizes everywhere; the registry's Promote comparison asks for three
// significant figures so that a model growing from 1.70 KB to 1.73 KB reads as a change.
describe('units', () => {
  it('rounds to one decimal under 10 and none above by default', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1771), '1.7 KB');
    assert.equal(formatBytes(25.6 * 1024 * 1024), '26 MB');
    assert.equal(formatBytes(3 * 1024 ** 5), '3072 TB');
  });

  it('keeps three significant figures when asked', () => {
    assert.equal(formatBytes(1771, { significant: 3 }), '1.73 KB');
    assert.equal(formatBytes(1740, { significant: 3 }), '1.70 KB');
    assert.equal(formatBytes(25.6 * 1024 * 1024, { significant: 3 }), '25.6 MB');
    assert.equal(formatBytes(150 * 1024 ** 3, { significant: 3 }), '150 GB');
    assert.equal(formatBytes(1000, { significant: 3 }), '1000 B');
  });

  it('counts with K, M and B', () => {
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(25_600), '25.6K');
    assert.equal(formatCount(3_200_000_000), '3.2B');
  });
});
