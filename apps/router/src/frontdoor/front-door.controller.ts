import { All, Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RouterRuntime } from '../runtime';

/** OpenAI-compatible endpoints on the router's HTTP server; the front door does the work. */
@Controller('v1')
export class FrontDoorController {
  constructor(private readonly runtime: RouterRuntime) {}

  @Post('chat/completions')
  chatCompletions(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.runtime.frontDoor.chatCompletions(req, res);
  }

  @Get('models')
  models(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.runtime.frontDoor.models(req, res);
  }

  // After the routes above: any other method on these paths is 405 with Allow, not a bare 404.
  @All('chat/completions')
  chatCompletionsOtherMethod(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.runtime.frontDoor.wrongMethod(req, res, '/v1/chat/completions', 'POST');
  }

  @All('models')
  modelsOtherMethod(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.runtime.frontDoor.wrongMethod(req, res, '/v1/models', 'GET');
  }
}
