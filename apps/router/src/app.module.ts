import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller';
import { RequestController } from './request.controller';
import { RouterRuntime } from './runtime';

@Module({})
export class AppModule {
  static forRuntime(runtime: RouterRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [RequestController, HealthController],
      providers: [{ provide: RouterRuntime, useValue: runtime }],
    };
  }
}
