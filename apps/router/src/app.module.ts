import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FrontDoorController } from './frontdoor/front-door.controller';
import { AdminController } from './admin/admin.controller';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { Observability } from './metrics/observability';
import { RequestController } from './request.controller';
import { RouterRuntime } from './runtime';

@Module({})
export class AppModule {
  static forRuntime(runtime: RouterRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [RequestController, HealthController, MetricsController, FrontDoorController, AdminController],
      providers: [{ provide: RouterRuntime, useValue: runtime }, { provide: Observability, useFactory: () => new Observability(runtime) }],
    };
  }
}
