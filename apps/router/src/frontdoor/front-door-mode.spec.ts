import { ApiKeyStore, sha256Hex } from './api-keys';
import { frontDoorMode } from './front-door-mode';

describe('frontDoorMode', () => {
  const none = new ApiKeyStore([]);
  const some = new ApiKeyStore([{ tenant: 'a', sha256: sha256Hex('k') }]);

  it('requires keys when keys are configured, whatever else is set', () => {
    expect(frontDoorMode({ FRONTDOOR_ALLOW_UNAUTHENTICATED: true, HTTP_HOST: '127.0.0.1' }, some)).toBe('keys');
  });

  it('is off without keys unless unauthenticated use is allowed on loopback', () => {
    expect(frontDoorMode({ FRONTDOOR_ALLOW_UNAUTHENTICATED: false, HTTP_HOST: '127.0.0.1' }, none)).toBe('off');
    expect(frontDoorMode({ FRONTDOOR_ALLOW_UNAUTHENTICATED: true, HTTP_HOST: '127.0.0.1' }, none)).toBe('open');
    expect(frontDoorMode({ FRONTDOOR_ALLOW_UNAUTHENTICATED: true, HTTP_HOST: '::1' }, none)).toBe('open');
  });

  it('refuses to start unauthenticated on a non-loopback host', () => {
    expect(() => frontDoorMode({ FRONTDOOR_ALLOW_UNAUTHENTICATED: true, HTTP_HOST: '0.0.0.0' }, none)).toThrow(/FRONTDOOR_ALLOW_UNAUTHENTICATED=true needs a loopback HTTP_HOST/);
  });
});
