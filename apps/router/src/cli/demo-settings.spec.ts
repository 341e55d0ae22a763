import { demoSettings } from './demo-settings';

describe('npm run demo: ports from the environment', () => {
  it('defaults to the documented ports and starts its own broker', () => {
    expect(demoSettings({})).toEqual({
      simPort: 4010,
      simUrl: 'http://127.0.0.1:4010',
      httpPort: 8080,
      brokers: '127.0.0.1:9092',
      kafka: { port: 9092, controllerPort: 9093, runDir: '.infra/kafka-demo' },
      notes: [],
    });
  });

  it('takes SIM_PORT, HTTP_PORT, KAFKA_PORT and KAFKA_CONTROLLER_PORT; SIM_URL follows SIM_PORT', () => {
    const s = demoSettings({ SIM_PORT: '14010', HTTP_PORT: '18080', KAFKA_PORT: '29092', KAFKA_CONTROLLER_PORT: '29999' });
    expect(s).toMatchObject({ simPort: 14010, simUrl: 'http://127.0.0.1:14010', httpPort: 18080, brokers: '127.0.0.1:29092' });
    expect(s.kafka).toEqual({ port: 29092, controllerPort: 29999, runDir: '.infra/kafka-demo-29092-29999' });
  });

  it('puts the controller on KAFKA_PORT + 1 unless told otherwise', () => {
    expect(demoSettings({ KAFKA_PORT: '19192' }).kafka).toMatchObject({ port: 19192, controllerPort: 19193 });
  });

  it('still accepts the older DEMO_KAFKA_PORT', () => {
    expect(demoSettings({ DEMO_KAFKA_PORT: '19292' }).brokers).toBe('127.0.0.1:19292');
  });

  it('uses KAFKA_BROKERS without starting a broker, and says which variables that makes unused', () => {
    const s = demoSettings({ KAFKA_BROKERS: 'kafka.internal:9092', KAFKA_PORT: '19092' });
    expect(s.brokers).toBe('kafka.internal:9092');
    expect(s.kafka).toBeUndefined();
    expect(s.notes).toEqual(['KAFKA_PORT is ignored: KAFKA_BROKERS=kafka.internal:9092 is used and no broker is started']);
  });

  it.each([
    [{ SIM_PORT: 'abc' }, 'SIM_PORT must be a TCP port (1-65535), got "abc"'],
    [{ HTTP_PORT: '70000' }, 'HTTP_PORT must be a TCP port (1-65535), got "70000"'],
    [{ KAFKA_PORT: '0' }, 'KAFKA_PORT must be a TCP port (1-65535), got "0"'],
    [{ KAFKA_CONTROLLER_PORT: '90.5' }, 'KAFKA_CONTROLLER_PORT must be a TCP port (1-65535), got "90.5"'],
    [{ SIM_PORT: '8080' }, 'HTTP_PORT and SIM_PORT are both 8080: each needs its own port'],
    [{ KAFKA_PORT: '4010' }, 'KAFKA_PORT and SIM_PORT are both 4010: each needs its own port'],
    [{ KAFKA_PORT: '8079' }, 'KAFKA_CONTROLLER_PORT and HTTP_PORT are both 8080: each needs its own port'],
    [{ KAFKA_PORT: '65535' }, 'KAFKA_PORT=65535 leaves no port for the controller (KAFKA_PORT + 1): set KAFKA_CONTROLLER_PORT'],
  ])('refuses %j', (env, message) => {
    expect(() => demoSettings(env)).toThrow(message);
  });
});
