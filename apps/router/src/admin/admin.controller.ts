import { Controller, Headers, HttpCode, HttpException, HttpStatus, NotFoundException, Post, UnauthorizedException } from '@nestjs/common';
import type { ReloadReport } from '../config/routing-table-reloader';
import { RouterRuntime } from '../runtime';
import { isAdminAuthorized } from './admin-token';

/**
 * Operator actions over HTTP, behind ROUTER_ADMIN_TOKEN (a bearer token); without the variable the
 * routes answer 404, as if they did not exist. The reload is the same one the file watch and
 * SIGHUP run: for deployments where neither reaches the process (a read-only image, a supervisor
 * that eats signals) and for scripts that want the validation result back.
 */
@Controller('admin')
export class AdminController {
  constructor(private readonly runtime: RouterRuntime) {}

  @Post('routing-table/reload')
  @HttpCode(HttpStatus.OK)
  reload(@Headers('authorization') authorization: string | undefined): ReloadReport {
    const token = this.runtime.env.ROUTER_ADMIN_TOKEN;
    if (!token) throw new NotFoundException();
    if (!isAdminAuthorized(authorization, token)) throw new UnauthorizedException('admin endpoints need Authorization: Bearer <ROUTER_ADMIN_TOKEN>');
    const report = this.runtime.reloader.reload('admin');
    // Refused: the file is invalid; the body says why and that the old table keeps serving.
    if (report.result === 'refused') throw new HttpException(report, HttpStatus.UNPROCESSABLE_ENTITY);
    return report;
  }
}
