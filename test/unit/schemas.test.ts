import { expect } from 'chai';
import { validateVolumeCreate, validateVolumeCreateLegacy, validateVolumeUpdate, validateMetadataBody } from '../../src/api/schemas/volumes';
import { validateTypeCreate } from '../../src/api/schemas/volume-types';
import { pyRepr } from '../../src/api/schemas/validator';
import { BadRequestError } from '../../src/errors';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(BadRequestError);
    return (err as Error).message;
  }
  throw new Error('expected a BadRequestError');
}

describe('request schemas', () => {
  it('accepts the body python-cinderclient sends, with its explicit nulls', () => {
    const body = {
      volume: {
        size: 1,
        consistencygroup_id: null,
        snapshot_id: null,
        name: 'x',
        description: null,
        volume_type: null,
        availability_zone: null,
        metadata: {},
        imageRef: null,
        source_volid: null,
        backup_id: null,
      },
    };
    expect(validateVolumeCreate(body)).to.deep.equal(body);
  });

  it('names the field and value for bad sizes, in Cinder wording', () => {
    expect(message(() => validateVolumeCreate({ volume: { size: 0 } }))).to.equal(
      'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
    );
    expect(message(() => validateVolumeCreate({ volume: { size: -1 } }))).to.equal(
      'Invalid input for field/attribute size. Value: -1. -1 is less than the minimum of 1',
    );
    expect(message(() => validateVolumeCreate({ volume: { size: 'abc' } }))).to.equal(
      "Invalid input for field/attribute size. Value: 'abc'. 'abc' does not match '^[0-9]+$'",
    );
    expect(message(() => validateVolumeCreate({ volume: { size: 1.5 } }))).to.match(
      /field\/attribute size\. Value: 1\.5\. 1\.5 is not of type 'integer', 'string', 'null'/,
    );
    expect(message(() => validateVolumeCreate({ volume: { size: 1e12 } }))).to.equal(
      'Invalid input for field/attribute size. Value: 1000000000000. 1000000000000 is greater than the maximum of 2147483647',
    );
  });

  it('refuses unknown keys from 3.53 and ignores them below', () => {
    expect(message(() => validateVolumeCreate({ volume: { size: 1, foo: 1 } }))).to.equal(
      "Invalid input for field/attribute volume. Value: {'size': 1, 'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
    );
    expect(() => validateVolumeCreateLegacy({ volume: { size: 1, foo: 1 } })).not.to.throw();
  });

  it("says 'volume' is required when the key is missing, and refuses bodies that are not objects", () => {
    expect(message(() => validateVolumeCreate({}))).to.equal("'volume' is a required property");
    expect(message(() => validateVolumeCreate([]))).to.match(/is not of type 'object'/);
  });

  it('limits names to 255 characters and metadata to strings of 255', () => {
    expect(message(() => validateVolumeCreate({ volume: { size: 1, name: 'n'.repeat(256) } }))).to.match(/field\/attribute name\. .* is too long/);
    expect(message(() => validateMetadataBody({ metadata: { k: 1 } }))).to.match(/field\/attribute k\. Value: 1\. 1 is not of type 'string'/);
    expect(message(() => validateMetadataBody({ metadata: { k: 'v'.repeat(256) } }))).to.match(/is too long/);
    expect(message(() => validateMetadataBody({ metadata: { 'bad*key': 'v' } }))).to.match(
      /Additional properties are not allowed \('bad\*key' was unexpected\)/,
    );
  });

  it('requires at least one field in a volume update from 3.53', () => {
    expect(message(() => validateVolumeUpdate({ volume: {} }))).to.equal(
      'Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas',
    );
  });

  it('requires a type name', () => {
    expect(message(() => validateTypeCreate({ volume_type: {} }))).to.match(/'name' is a required property/);
  });

  it('prints values as Python does', () => {
    expect(pyRepr({ a: [1, 'x', null, true] })).to.equal("{'a': [1, 'x', None, True]}");
  });
});
