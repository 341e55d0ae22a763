import { isInfrastructureError } from './infrastructure-errors';

describe('isInfrastructureError', () => {
  it('names Kafka client, state store and connection errors, also as a cause', () => {
    const kafka = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    const redis = Object.assign(new Error('redis get failed'), { name: 'StateStoreUnavailableError' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    expect([kafka, redis, refused, new Error('wrapped', { cause: kafka })].map(isInfrastructureError)).toEqual([true, true, true, true]);
  });

  it('does not name errors a request itself causes', () => {
    expect([new RangeError('Maximum call stack size exceeded'), new TypeError("Cannot read properties of undefined (reading 'x')"), 'a string', undefined].map(isInfrastructureError)).toEqual([false, false, false, false]);
  });
});
