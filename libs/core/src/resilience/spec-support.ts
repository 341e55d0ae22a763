import { RouterEventBus, type RouterEvent } from '../events/router-events';
import { Router, type RouterOptions } from '../router';
import { SeededRandom } from '../ports/random';
import type { ArmConfig } from '../routing/arm';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { ManualClock } from '../testing/manual-clock';
import { ScriptedProviders, makeArm, type ScriptedStep } from '../testing/fake-provider';

/** Test support for resilience specs (not exported from the package). */

export function request(overrides: Partial<RouteRequest> = {}, routing: Partial<RouteRequest['routing']> = {}): RouteRequest {
  return {
    id: 'req-1',
    tenant: 't1',
    class: 'default',
    messages: [{ role: 'user', content: 'hello' }],
    params: {},
    ...overrides,
    routing: { objective: 'balanced', ...overrides.routing, ...routing },
  };
}

export function setupRouter(
  scripts: Record<string, ScriptedStep[]>,
  arms: ArmConfig[] = [makeArm('a'), makeArm('b'), makeArm('c')],
  options: Partial<RouterOptions> | ((clock: ManualClock) => Partial<RouterOptions>) = {},
) {
  const clock = new ManualClock(1_000);
  const providers = new ScriptedProviders(clock, scripts);
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const router = new Router({ arms, providers, selector: new OrderedSelector(), clock, events: bus, random: new SeededRandom(42), ...(typeof options === 'function' ? options(clock) : options) });
  const ofType = <T extends RouterEvent['type']>(type: T) => events.filter((e): e is Extract<RouterEvent, { type: T }> => e.type === type);
  return { clock, providers, router, events, ofType };
}

/**
 * Drives a ManualClock 1 ms at a time, letting every pending callback run in between, until the
 * promise settles; virtual time therefore matches the code's own timers exactly.
 */
export async function settle<T>(clock: ManualClock, promise: Promise<T>, maxMs = 300_000): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  for (let elapsed = 0; ; elapsed++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (done) return tracked;
    if (elapsed >= maxMs) throw new Error(`still pending after ${maxMs} virtual ms`);
    await clock.advance(1);
  }
}
