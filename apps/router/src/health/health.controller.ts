import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Observability } from '../metrics/observability';
import { RouterRuntime } from '../runtime';

/**
 * Liveness answers while the event loop runs. Readiness needs the request consumer joined and
 * fetching, a loaded routing table and at least one arm whose circuit is not open: a load balancer
 * or Kubernetes sends nothing before that. /health/routing is the operator's view per arm
 * (docs/metrics.md documents its JSON).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly runtime: RouterRuntime,
    private readonly observability: Observability,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicator.check('process').up({ pid: process.pid, uptimeS: Math.round(process.uptime()) })]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        // Before the consumer runs: what start-up waits for (e.g. "waiting for Kafka at …") and why.
        const status = this.runtime.startup.status();
        const check = this.indicator.check('startup');
        return status.ready ? check.up() : check.down(status);
      },
      () => {
        const stats = this.runtime.transport.stats();
        const check = this.indicator.check('consumer');
        return this.runtime.transport.ready ? check.up(stats) : check.down(stats);
      },
      () => {
        // A partition stuck behind one request stops committing: its lag only grows, and every
        // restart redelivers the same work. Say so here rather than look healthy.
        const { stuckPartitions, oldestInFlightMs } = this.runtime.transport.stats();
        const check = this.indicator.check('partitions');
        const details = { stuck: stuckPartitions, oldestInFlightMs, stuckAfterMs: this.runtime.env.ROUTER_STUCK_AFTER_MS };
        return stuckPartitions.length === 0 ? check.up(details) : check.down(details);
      },
      () => this.indicator.check('routingTable').up({ arms: this.runtime.table.arms.length, providers: this.runtime.table.endpoints.length, version: this.runtime.reloader.version.version, hash: this.runtime.reloader.version.hash }),
      () => {
        // Every breaker open: each request would fail fast with no_eligible_arm; take no traffic.
        const states = this.runtime.table.arms.map((a) => this.runtime.breakers.stateOf(a.id));
        const open = states.filter((b) => b.state === 'open').map((b) => b.arm);
        const details = { available: states.length - open.length, open };
        const check = this.indicator.check('arms');
        return open.length < states.length ? check.up(details) : check.down(details);
      },
    ]);
  }

  @Get('routing')
  routing(): ReturnType<Observability['routingReport']> {
    return this.observability.routingReport();
  }
}
