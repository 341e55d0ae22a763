import { decodeFeedback } from '@switchyard/contracts';
import { feedbackFromArgs } from './feedback';

describe('npm run feedback', () => {
  it('turns a score or a label into feedback v1 that the router accepts', () => {
    const scored = feedbackFromArgs('req-1', '0.25', { source: 'judge', comment: 'off topic' });
    expect(scored).toEqual({ schemaVersion: 1, requestId: 'req-1', score: 0.25, metric: 'quality', source: 'judge', comment: 'off topic' });
    expect(decodeFeedback(Buffer.from(JSON.stringify(scored)))).toMatchObject({ ok: true });
    expect(feedbackFromArgs('req-2', 'bad', {})).toMatchObject({ label: 'bad', source: 'cli' });
  });

  it('refuses a score outside [0, 1] and a missing verdict, naming the problem', () => {
    expect(() => feedbackFromArgs('req-1', '7', {})).toThrow(/invalid feedback: score/);
    expect(() => feedbackFromArgs('req-1', undefined, {})).toThrow(/give a request id and a score/);
  });
});

describe('feedback v1 decoding', () => {
  it('classifies what cannot be feedback', () => {
    expect(decodeFeedback(null)).toMatchObject({ ok: false, reason: 'undecodable' });
    expect(decodeFeedback(Buffer.from('{'))).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(decodeFeedback(Buffer.from(JSON.stringify({ schemaVersion: 1, requestId: 'r', score: 1, label: 'good', source: 'u' })))).toMatchObject({ ok: false, reason: 'schema', requestId: 'r' });
    expect(decodeFeedback(Buffer.alloc(20_000, 'x'))).toMatchObject({ ok: false, reason: 'oversize' });
  });
});
