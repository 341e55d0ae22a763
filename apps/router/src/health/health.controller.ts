import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Observability } from '../metrics/observability';
import { RouterRuntime } from '../runtime';
import type { RoutingReport } from './routing-report';

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
        const stats = this.runtime.transport.stats();
        const check = this.indicator.check('consumer');
        return this.runtime.transport.ready ? check.up(stats) : check.down(stats);
      },
      () => this.indicator.check('routingTable').up({ arms: this.runtime.table.arms.length, providers: this.runtime.table.endpoints.length }),
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
  routing(): RoutingReport {
    return this.observability.routingReport();
  }
}
