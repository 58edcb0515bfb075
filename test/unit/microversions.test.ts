import { expect } from 'chai';
import { ApiVersion, MAX_VERSION, negotiateVersion } from '../../src/api/microversions';
import { BadRequestError, NotAcceptableVersionError } from '../../src/errors';

describe('microversion negotiation', () => {
  it('uses 3.0 without a header and the maximum for latest', () => {
    expect(negotiateVersion(undefined).toString()).to.equal('3.0');
    expect(negotiateVersion('volume latest').toString()).to.equal(MAX_VERSION.toString());
    expect(MAX_VERSION.toString()).to.equal('3.70');
  });

  it('picks the volume entry of a comma list', () => {
    expect(negotiateVersion('compute 2.1, volume 3.45').toString()).to.equal('3.45');
  });

  it('refuses malformed versions with 400 and Cinder wording', () => {
    expect(() => negotiateVersion('volume 3.x')).to.throw(BadRequestError, 'API Version String 3.x is of invalid format. Must be of format MajorNum.MinorNum.');
    expect(() => negotiateVersion('volume 3.07')).to.throw(BadRequestError);
    expect(() => negotiateVersion('compute 2.1')).to.throw(BadRequestError);
  });

  it('refuses versions out of range with 406', () => {
    expect(() => negotiateVersion('volume 3.99')).to.throw(
      NotAcceptableVersionError,
      'Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.70.',
    );
    expect(() => negotiateVersion('volume 2.0')).to.throw(NotAcceptableVersionError);
  });

  it('compares versions numerically, not as text', () => {
    expect(ApiVersion.parse('3.10').atLeast(ApiVersion.parse('3.9'))).to.equal(true);
    expect(ApiVersion.parse('3.9').atLeast(ApiVersion.parse('3.10'))).to.equal(false);
  });
});
