import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../pipeline/kafka-clients';
import { ConfigError, kafkaSecurity, parseEnv } from './env';

const SECRET = 'pa55-SECRET-word';

function refused(env: Record<string, string>): ConfigError {
  try {
    parseEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain(SECRET);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('router env: Kafka SASL and TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-env-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('defaults to no SASL and no TLS', () => {
    const env = parseEnv({});
    expect(env.KAFKA_SASL_MECHANISM).toBe('none');
    expect(env.KAFKA_SSL).toBe(false);
    expect(env.KAFKA_SSL_REJECT_UNAUTHORIZED).toBe(true);
    expect(kafkaSecurity(env)).toEqual({});
  });

  it('accepts HTTP_HOST 0.0.0.0', () => {
    expect(parseEnv({ HTTP_HOST: '0.0.0.0' }).HTTP_HOST).toBe('0.0.0.0');
  });

  it('refuses an unknown mechanism, naming the variable', () => {
    expect(refused({ KAFKA_SASL_MECHANISM: 'gssapi' }).message).toMatch(/KAFKA_SASL_MECHANISM/);
  });

  it('refuses SASL PLAIN without TLS and says why, unless explicitly allowed', () => {
    const base = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'switchyard', KAFKA_SASL_PASSWORD: SECRET };
    const message = refused(base).message;
    expect(message).toMatch(/KAFKA_SASL_MECHANISM=plain without KAFKA_SSL=true/);
    expect(message).toMatch(/clear text/);
    expect(message).toMatch(/KAFKA_ALLOW_PLAINTEXT_SASL=true/);
    expect(kafkaSecurity(parseEnv({ ...base, KAFKA_ALLOW_PLAINTEXT_SASL: 'true' }))).toEqual({
      sasl: { mechanism: 'plain', username: 'switchyard', password: SECRET },
    });
    expect(kafkaSecurity(parseEnv({ ...base, KAFKA_SSL: 'true' }))).toEqual({
      sasl: { mechanism: 'plain', username: 'switchyard', password: SECRET },
      ssl: { rejectUnauthorized: true },
    });
  });

  it('allows SCRAM without TLS (the password never crosses the wire)', () => {
    const env = parseEnv({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET });
    expect(kafkaSecurity(env).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: SECRET });
  });

  it('refuses a mechanism without a username or a password', () => {
    expect(refused({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: SECRET }).message).toMatch(/KAFKA_SASL_USERNAME is required/);
    expect(refused({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' }).message).toMatch(/KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE/);
    expect(refused({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: file('empty', '\n') }).message).toMatch(
      /non-empty password/,
    );
  });

  it('refuses credentials without a mechanism', () => {
    expect(refused({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET }).message).toMatch(/KAFKA_SASL_MECHANISM is none/);
  });

  it('refuses a password given both inline and by file', () => {
    const message = refused({
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: SECRET,
      KAFKA_SASL_PASSWORD_FILE: file('pw-both', `${SECRET}\n`),
    }).message;
    expect(message).toMatch(/KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set/);
  });

  it('reads the password from a file (trailing newline ignored)', () => {
    const env = parseEnv({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: file('pw', `${SECRET}\n`) });
    expect(kafkaSecurity(env).sasl?.password).toBe(SECRET);
  });

  it('reads the secret files once, at parse time: the Kafka client is built from what parseEnv read', () => {
    const pw = file('pw-once', `${SECRET}\n`);
    const ca = file('ca-once', 'CA');
    const env = parseEnv({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: pw, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca });
    rmSync(pw);
    rmSync(ca);
    expect(env.kafkaSecurity).toEqual({ sasl: { mechanism: 'scram-sha-256', username: 'u', password: SECRET }, ssl: { ca: 'CA', rejectUnauthorized: true } });
    expect(() => createKafka(env)).not.toThrow();
  });

  it('refuses an unreadable password, CA, cert or key file, naming the variable and path', () => {
    const missing = join(dir, 'does-not-exist');
    expect(refused({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: missing }).message).toMatch(
      /KAFKA_SASL_PASSWORD_FILE: cannot read .*does-not-exist \(ENOENT\)/,
    );
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: missing }).message).toMatch(/KAFKA_SSL_CA_FILE: cannot read/);
    const key = file('client.key', 'KEY');
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: missing, KAFKA_SSL_KEY_FILE: key }).message).toMatch(/KAFKA_SSL_CERT_FILE: cannot read/);
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: file('client.crt', 'CERT'), KAFKA_SSL_KEY_FILE: missing }).message).toMatch(
      /KAFKA_SSL_KEY_FILE: cannot read/,
    );
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: dir }).message).toMatch(/KAFKA_SSL_CA_FILE: cannot read .*EISDIR/);
  });

  it('passes CA, client cert and key contents to kafkajs', () => {
    const env = parseEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file('ca.pem', 'CA'), KAFKA_SSL_CERT_FILE: file('c.pem', 'CERT'), KAFKA_SSL_KEY_FILE: file('k.pem', 'KEY') });
    expect(kafkaSecurity(env).ssl).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: true });
  });

  it('refuses a cert without its key, and TLS files without KAFKA_SSL', () => {
    expect(refused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: file('c2.pem', 'CERT') }).message).toMatch(/go together/);
    expect(refused({ KAFKA_SSL_CA_FILE: file('ca2.pem', 'CA') }).message).toMatch(/KAFKA_SSL is not true/);
  });

  it('refuses KAFKA_SSL_REJECT_UNAUTHORIZED=false unless KAFKA_ALLOW_INSECURE_TLS=true', () => {
    const message = refused({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).message;
    expect(message).toMatch(/KAFKA_SSL_REJECT_UNAUTHORIZED=false turns off verification/);
    expect(message).toMatch(/KAFKA_ALLOW_INSECURE_TLS=true/);
    expect(kafkaSecurity(parseEnv({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false', KAFKA_ALLOW_INSECURE_TLS: 'true' })).ssl).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('refuses a bad boolean, naming the variable', () => {
    expect(refused({ KAFKA_SSL: 'maybe' }).message).toMatch(/KAFKA_SSL/);
  });
});

describe('router env: SWITCHYARD_TRACE_CONTENT', () => {
  it('records content only for true (any case, spaces around allowed); unset or anything else is off', () => {
    expect(parseEnv({}).SWITCHYARD_TRACE_CONTENT).toBe(false);
    expect(parseEnv({ SWITCHYARD_TRACE_CONTENT: 'true' }).SWITCHYARD_TRACE_CONTENT).toBe(true);
    expect(parseEnv({ SWITCHYARD_TRACE_CONTENT: ' TRUE ' }).SWITCHYARD_TRACE_CONTENT).toBe(true);
    expect(parseEnv({ SWITCHYARD_TRACE_CONTENT: 'yes' }).SWITCHYARD_TRACE_CONTENT).toBe(false);
    expect(parseEnv({ SWITCHYARD_TRACE_CONTENT: 'false' }).SWITCHYARD_TRACE_CONTENT).toBe(false);
  });
});

describe('router env: consumer group liveness (how soon a dead replica loses its partitions)', () => {
  it('defaults to a 10 s session with a heartbeat every second', () => {
    const env = parseEnv({});
    expect(env.KAFKA_SESSION_TIMEOUT_MS).toBe(10_000);
    expect(env.KAFKA_HEARTBEAT_INTERVAL_MS).toBe(1_000);
  });

  it('takes a session down to 1 s (for a broker whose group.min.session.timeout.ms allows it)', () => {
    expect(parseEnv({ KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '1000' }).KAFKA_SESSION_TIMEOUT_MS).toBe(3_000);
    expect(refused({ KAFKA_SESSION_TIMEOUT_MS: '999', KAFKA_HEARTBEAT_INTERVAL_MS: '100' }).message).toContain('KAFKA_SESSION_TIMEOUT_MS');
  });

  it('refuses a heartbeat longer than a third of the session', () => {
    expect(refused({ KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '1001' }).message).toContain('KAFKA_HEARTBEAT_INTERVAL_MS must be at most a third');
  });
});
