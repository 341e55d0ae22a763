import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { envSchema } from './env';
import { interpolateEnv, loadRoutingTable } from './routing-table.loader';

/**
 * docker-compose.yml cannot be run here (no Docker engine), so it is checked against the code it
 * starts: every path it names exists, every variable it gives the router is one the router reads,
 * every address it gives the router is a service of the stack on a port that service listens on,
 * and every published port is one its service listens on.
 */
const ROOT = join(__dirname, '../../../..');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  network_mode?: string;
  depends_on?: Record<string, unknown> | string[];
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const services = compose.services;
const env = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]));
const routerEnv = env('router');

/** The final stage of the Dockerfile: what `COPY` puts into /app (paths relative to the repo or the build stage). */
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const copies = (stage: string) => [...stage.matchAll(/^COPY\s+(--from=\S+\s+)?(.+)$/gm)].map((m) => ({ fromStage: Boolean(m[1]), args: m[2].trim().split(/\s+/) }));

/** Ports a service listens on inside its container, from its environment (or its image's documented defaults). */
function listeningPorts(name: string): number[] {
  const e = env(name);
  switch (name) {
    case 'router':
      return [Number(e.HTTP_PORT ?? envSchema.shape.HTTP_PORT.parse(undefined))];
    case 'provider-sim':
      return [Number(e.SIM_PORT ?? 4010)]; // apps/provider-sim/src/main.ts
    case 'kafka':
      return [...(e.KAFKA_LISTENERS ?? '').matchAll(/[A-Z_]+:\/\/[^:,]*:(\d+)/g)].map((m) => Number(m[1]));
    case 'jaeger':
      return [16686, 4317, 4318]; // Jaeger v2 all-in-one: query/UI, OTLP gRPC, OTLP HTTP
    case 'redis':
      return [6379];
    default:
      throw new Error(`docker-compose.yml has a service "${name}" this test does not know: teach listeningPorts() its ports`);
  }
}

/** Variables the router reads besides its envSchema: the OpenTelemetry SDK's and Node's. */
const READ_ELSEWHERE = new Set([
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_TRACES_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'NODE_ENV',
  'NODE_OPTIONS',
]);

describe('docker-compose.yml', () => {
  it('has the services this test knows, and the router on its own network (no network_mode)', () => {
    expect(Object.keys(services).sort()).toEqual(['jaeger', 'kafka', 'provider-sim', 'redis', 'router']);
    for (const [name, service] of Object.entries(services)) expect({ name, network_mode: service.network_mode }).toEqual({ name, network_mode: undefined });
  });

  it('names only files that exist in the repo (and, for the router and provider-sim, in the image)', () => {
    const checked: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      if (service.build !== undefined) {
        const context = typeof service.build === 'string' ? service.build : (service.build.context ?? '.');
        const file = typeof service.build === 'string' ? 'Dockerfile' : (service.build.dockerfile ?? 'Dockerfile');
        expect({ name, context: existsSync(join(ROOT, context, file)) }).toEqual({ name, context: true });
        checked.push(join(context, file));
      }
      const command = typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []);
      for (const arg of command.filter((a) => /^dist\/.+\.js$/.test(a))) {
        // dist/… is built from the .ts beside it (tsconfig.build.json, rootDir ".").
        const source = arg.replace(/^dist\//, '').replace(/\.js$/, '.ts');
        expect({ name, source, exists: existsSync(join(ROOT, source)) }).toEqual({ name, source, exists: true });
        checked.push(source);
      }
    }
    // Files named by the environment (ROUTING_TABLE, SIM_CONFIG…): in the repo and copied into the image.
    const finalCopies = copies(stages[stages.length - 1]).filter((c) => !c.fromStage);
    for (const [name, service] of Object.entries(services)) {
      if (service.build === undefined) continue;
      for (const [key, value] of Object.entries(env(name))) {
        if (!/^[\w.-]+(\/[\w.-]+)+$/.test(value)) continue;
        expect({ name, key, value, exists: existsSync(join(ROOT, value)) }).toEqual({ name, key, value, exists: true });
        const inImage = finalCopies.some(({ args }) => args.slice(0, -1).some((src) => value === src || value.startsWith(`${src.replace(/\/$/, '')}/`)));
        expect({ name, key, value, copiedIntoImage: inImage }).toEqual({ name, key, value, copiedIntoImage: true });
        checked.push(value);
      }
    }
    // And the Dockerfile's own sources.
    for (const stage of stages) {
      for (const { fromStage, args } of copies(stage)) {
        if (fromStage) continue;
        for (const src of args.slice(0, -1)) expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
      }
    }
    expect(checked).toEqual(expect.arrayContaining(['Dockerfile', 'apps/provider-sim/src/main.ts', routerEnv.ROUTING_TABLE]));
  });

  it('gives the router only variables it reads', () => {
    const table = parse(readFileSync(join(ROOT, routerEnv.ROUTING_TABLE ?? 'config/routing.yaml'), 'utf8')) as unknown;
    const interpolated = [...interpolateEnv(table, {}).variables.keys()];
    expect(interpolated).toContain('SIM_URL');
    const known = new Set([...Object.keys(envSchema.shape), ...interpolated, ...READ_ELSEWHERE]);
    const unknown = Object.keys(routerEnv).filter((k) => !known.has(k));
    expect(unknown).toEqual([]);
    // …and valid values for them.
    expect(envSchema.safeParse(routerEnv).success).toBe(true);
  });

  it('points the router at services of the stack, on ports they listen on (never at its own loopback)', () => {
    const addresses: Record<string, string> = {
      KAFKA_BROKERS: routerEnv.KAFKA_BROKERS,
      SIM_URL: routerEnv.SIM_URL,
      REDIS_URL: routerEnv.REDIS_URL,
      OTEL_EXPORTER_OTLP_ENDPOINT: routerEnv.OTEL_EXPORTER_OTLP_ENDPOINT,
    };
    for (const [key, value] of Object.entries(addresses)) {
      expect({ key, set: value !== undefined }).toEqual({ key, set: true });
      for (const address of value.split(',')) {
        const url = new URL(address.includes('://') ? address : `tcp://${address}`);
        const port = Number(url.port);
        expect({ key, host: url.hostname, isService: Object.hasOwn(services, url.hostname) }).toEqual({ key, host: url.hostname, isService: true });
        expect({ key, address, listens: listeningPorts(url.hostname).includes(port) }).toEqual({ key, address, listens: true });
      }
    }
    // The routing table, loaded with the router's environment, calls provider-sim there.
    const loaded = loadRoutingTable(join(ROOT, routerEnv.ROUTING_TABLE), routerEnv);
    for (const endpoint of loaded.endpoints) expect(endpoint.baseUrl).toMatch(/^http:\/\/provider-sim:4010\//);
    expect(listeningPorts('provider-sim')).toContain(4010);
    // A published service must listen beyond its loopback.
    expect(env('provider-sim').SIM_HOST).toBe('0.0.0.0');
    expect(routerEnv.HTTP_HOST ?? envSchema.shape.HTTP_HOST.parse(undefined)).toBe('0.0.0.0');
  });

  it('publishes only ports its services listen on, each host port once', () => {
    const hostPorts = new Map<number, string>();
    for (const [name, service] of Object.entries(services)) {
      for (const mapping of service.ports ?? []) {
        const match = /^(?:([\d.]+):)?(\d+):(\d+)(?:\/tcp)?$/.exec(String(mapping));
        expect({ name, mapping, form: match !== null }).toEqual({ name, mapping, form: true });
        const [hostPort, containerPort] = [Number(match![2]), Number(match![3])];
        expect({ name, mapping, listens: listeningPorts(name).includes(containerPort) }).toEqual({ name, mapping, listens: true });
        expect({ hostPort, usedBy: hostPorts.get(hostPort) }).toEqual({ hostPort, usedBy: undefined });
        hostPorts.set(hostPort, name);
      }
    }
    expect([...hostPorts.keys()].sort((a, b) => a - b)).toEqual([4010, 4317, 4318, 6379, 8080, 9092, 16686]);
    // Kafka tells clients outside the stack to come back to the port it publishes.
    const kafka = env('kafka');
    const external = /EXTERNAL:\/\/localhost:(\d+)/.exec(kafka.KAFKA_ADVERTISED_LISTENERS);
    expect(external && hostPorts.get(Number(external[1]))).toBe('kafka');
  });
});
