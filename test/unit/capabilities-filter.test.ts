/* Cinder's CapabilitiesFilter and extra_specs_ops.match, as services/backend-capabilities.ts implements them. */
import { expect } from 'chai';
import { matchesRequirement, satisfiesExtraSpecs } from '../../src/services/backend-capabilities';

describe('capabilities filter (extra_specs_ops)', () => {
  it('matches exactly without an operator: a string equals only a string', () => {
    expect(matchesRequirement('iSCSI', 'iSCSI')).to.equal(true);
    expect(matchesRequirement('iSCSI', 'iscsi')).to.equal(false);
    expect(matchesRequirement(true, 'True')).to.equal(false);
    expect(matchesRequirement(10, '10')).to.equal(false);
    expect(matchesRequirement(null, null)).to.equal(true);
    expect(matchesRequirement('x', null)).to.equal(false);
  });

  it('knows <is>, numeric, string and <in>/<or> operators', () => {
    expect(matchesRequirement(true, '<is> True')).to.equal(true);
    expect(matchesRequirement(false, '<is> true')).to.equal(false);
    expect(matchesRequirement('yes', '<is> True')).to.equal(true);
    expect(matchesRequirement(100, '>= 50')).to.equal(true);
    expect(matchesRequirement(100, '= 150')).to.equal(false);
    expect(matchesRequirement('100', '== 100')).to.equal(true);
    expect(matchesRequirement('abc', '>= 1')).to.equal(false);
    expect(matchesRequirement('1.0', '<= 2')).to.equal(true);
    expect(matchesRequirement('b', 's> a')).to.equal(true);
    expect(matchesRequirement('Open Source', '<in> Source')).to.equal(true);
    expect(matchesRequirement('NFS', '<or> FC <or> iSCSI')).to.equal(false);
    expect(matchesRequirement('iSCSI', '<or> FC <or> iSCSI')).to.equal(true);
    expect(matchesRequirement(null, '<is> True')).to.equal(false);
  });

  it('reads unscoped and capabilities: keys, skips other scopes, needs every capability named, knows protocol spellings', () => {
    const caps = { storage_protocol: 'iSCSI', vendor_name: 'Open Source', multiattach: true, nested: { a: 'b' } };
    expect(satisfiesExtraSpecs(caps, {})).to.equal(true);
    expect(satisfiesExtraSpecs(caps, { storage_protocol: 'iSCSI', vendor_name: 'Open Source' })).to.equal(true);
    expect(satisfiesExtraSpecs(caps, { 'capabilities:storage_protocol': 'iscsi' })).to.equal(true);
    expect(satisfiesExtraSpecs(caps, { storage_protocol: 'FC' })).to.equal(false);
    expect(satisfiesExtraSpecs(caps, { 'capabilities:nested:a': 'b' })).to.equal(true);
    expect(satisfiesExtraSpecs(caps, { 'vendor:anything': 'x', 'RESKEY:availability_zones': 'az' })).to.equal(true);
    expect(satisfiesExtraSpecs(caps, { tier: 'gold' })).to.equal(false);
    expect(satisfiesExtraSpecs(caps, { multiattach: '<is> True' })).to.equal(true);
  });
});
