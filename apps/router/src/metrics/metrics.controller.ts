import { Controller, Get, Header, Res } from '@nestjs/common';
import { Observability } from './observability';

/** Prometheus scrape endpoint (text exposition format 0.0.4). */
@Controller()
export class MetricsController {
  constructor(private readonly observability: Observability) {}

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res({ passthrough: true }) res: { setHeader(name: string, value: string): void }): Promise<string> {
    const body = await this.observability.metrics.metrics();
    res.setHeader('Content-Type', this.observability.metrics.contentType);
    return body;
  }
}
