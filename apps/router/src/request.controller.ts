import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { REQUEST_PATTERN, type InboundMessage } from './kafka/inbound-message';
import { RouterRuntime } from './runtime';

@Controller()
export class RequestController {
  constructor(private readonly runtime: RouterRuntime) {}

  @EventPattern(REQUEST_PATTERN)
  handle(@Payload() message: InboundMessage): Promise<void> {
    return this.runtime.processor.process(message);
  }
}
