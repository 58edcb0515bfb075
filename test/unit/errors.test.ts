import { expect } from 'chai';
import restifyErrors from 'restify-errors';
import * as errors from '../../src/errors';
import { API_ERROR_CATALOG, GENERIC_500_MESSAGE, QuotaExceededError, VolumeNotFoundError, toFault, ApiError } from '../../src/errors';

describe('error mapping', () => {
  it('maps typed errors to Cinder fault bodies', () => {
    const f = toFault(new VolumeNotFoundError('abc'));
    expect(f.statusCode).to.equal(404);
    expect(f.body).to.deep.equal({ itemNotFound: { code: 404, message: 'Volume abc could not be found.' } });
  });

  it('renders quota errors as overLimit with retryAfter and a Retry-After header', () => {
    const f = toFault(new QuotaExceededError('VolumeLimitExceeded', "Maximum number of volumes allowed (1) exceeded for quota 'volumes'."));
    expect(f.statusCode).to.equal(413);
    expect(f.body.overLimit).to.deep.equal({
      code: 413,
      message: "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes'.",
      retryAfter: '0',
    });
    expect(f.headers['Retry-After']).to.equal('0');
  });

  it('maps Restify errors to the fault names Cinder uses', () => {
    expect(toFault(new restifyErrors.ResourceNotFoundError('/x does not exist')).body).to.deep.equal({
      itemNotFound: { code: 404, message: 'The resource could not be found.' },
    });
    expect(Object.keys(toFault(new restifyErrors.MethodNotAllowedError('PATCH')).body)).to.deep.equal(['badMethod']);
    expect(toFault(new restifyErrors.PayloadTooLargeError('too big')).body).to.deep.equal({ overLimit: { code: 413, message: 'Request is too large.' } });
    expect(toFault(new restifyErrors.UnsupportedMediaTypeError('x')).body).to.deep.equal({ badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
    expect(toFault(new restifyErrors.InvalidContentError('Invalid JSON: x')).body).to.deep.equal({
      badRequest: { code: 400, message: 'Malformed request body' },
    });
  });

  it('never puts an internal message on the wire for a 500', () => {
    const f = toFault(new Error('secret internal detail'));
    expect(f.statusCode).to.equal(500);
    expect(f.body).to.deep.equal({ computeFault: { code: 500, message: GENERIC_500_MESSAGE } });
    expect(JSON.stringify(toFault(new ApiError(500, 'db password wrong')).body)).not.to.contain('password');
  });

  it('uses computeFault for statuses without a Cinder name', () => {
    expect(Object.keys(toFault(new ApiError(406, 'x')).body)).to.deep.equal(['computeFault']);
  });

  it('lists every API error class in API_ERROR_CATALOG, with the status, fault and message it produces', () => {
    const classes = Object.values(errors).filter((v): v is typeof ApiError => typeof v === 'function' && v.prototype instanceof ApiError);
    expect(API_ERROR_CATALOG.map((e) => e.name).sort()).to.deep.equal(classes.map((c) => c.name).sort());
    for (const e of API_ERROR_CATALOG) {
      const Cls = e.errorClass as unknown as new (...args: string[]) => ApiError;
      const err = new Cls(...e.params.map((p) => `{${p}}`));
      expect(err.name, e.name).to.equal(e.name);
      expect(err.statusCode, e.name).to.equal(e.status);
      expect(err.message, e.name).to.equal(e.message);
      expect(Object.keys(toFault(err).body), e.name).to.deep.equal([e.fault]);
    }
  });
});
