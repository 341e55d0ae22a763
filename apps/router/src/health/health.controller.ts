import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { RouterRuntime } from '../runtime';

/**
 * Liveness answers while the event loop runs. Readiness needs the request consumer joined and
 * fetching and a loaded routing table: a load balancer or Kubernetes sends nothing before that.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly runtime: RouterRuntime,
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
    ]);
  }
}
