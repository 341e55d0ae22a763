import { storedAnswerOf } from './response-log-warmer';
import { REFUSAL_HEADER, REQUEST_HASH_HEADER } from './request-hash';

describe('the response-log warm-up', () => {
  const body = (o: object) => Buffer.from(JSON.stringify(o));

  it('loads an answer with its request hash', () => {
    const a = storedAnswerOf('llm.responses', Buffer.from('r1'), body({ id: 'r1', tenant: 't', status: 'ok' }), { [REQUEST_HASH_HEADER]: 'abc' });
    expect(a).toMatchObject({ requestId: 'r1', tenant: 't', topic: 'llm.responses', requestHash: 'abc' });
  });

  it('skips a refusal, so a corrected resend with the same id is routed after a restart', () => {
    const refusal = body({ id: 'r2', tenant: 't', status: 'failed', error: { kind: 'limits' } });
    expect(storedAnswerOf('llm.responses', Buffer.from('r2'), refusal, { [REFUSAL_HEADER]: 'limits' })).toBeUndefined();
  });

  it('skips records that name no caller', () => {
    expect(storedAnswerOf('llm.responses', null, body({ tenant: 't' }), {})).toBeUndefined();
    expect(storedAnswerOf('llm.responses', Buffer.from('r3'), Buffer.from('not json'), {})).toBeUndefined();
  });
});
