// An HTTP peer (LiteLLM, Portkey) as a live-benchmark target: one peer process per job in front of
// the job's simulator, fed over HTTP at the same scheduled instants as the Switchyard routers are
// fed over Kafka. The client timeout is the class deadline, the same bound Switchyard works to.
// Shared so that both peers are fed, scored and drained the same way; each peer supplies how to
// start it, how to call it and its own failure taxonomy.
import { join } from 'node:path';
import type { CallRecord } from '../../apps/provider-sim/src';
import { armIndex, type LiveTarget, type TargetFactory } from '../live/engine';
import { answerTokens, promptText, type LiveOutcome } from '../live/records';
import { simModelOf } from '../live/sim-config';
import type { PeerCallResult, PeerRequest } from './chat-call';
import { peerArms, type PeerArm } from './peer-arm';

/** A started peer, as the target drives it. */
export interface HttpPeer<R extends PeerCallResult> {
  /** One request through the peer; never rejects. */
  call(req: PeerRequest): Promise<R>;
  /** The simulator model that answered (default: `r.servedModel`). */
  servedModel?(r: R): string | null;
  output(): string;
  /** Where its output streams to, for the report and the lost-request line. */
  logFile: string;
  close(): Promise<void>;
}

export interface HttpPeerSpec<R extends PeerCallResult> {
  /** Starts the peer in front of the simulator at `simUrl`; `logDir` is this job's log folder. */
  start(opts: { simUrl: string; arms: PeerArm[]; logDir: string }): Promise<HttpPeer<R>>;
  /** A failed call in our taxonomy's words (content_policy, context_overflow, timeout, ...). */
  failureKind(r: R): string;
}

/** The target's handle: a LiveTarget that can also show the peer's output so far. */
export type HttpPeerTarget = LiveTarget & { peerOutput(): string };

/**
 * A TargetFactory for one HTTP peer: requests are fired without awaiting and each outcome goes to
 * `record`; a 200 the provider's content filter emptied (finish_reason content_filter) counts as a
 * content_policy failure. Logs go to `<logRoot>/<scenario>`.
 */
export function httpPeerTarget<R extends PeerCallResult>(logRoot: string, spec: HttpPeerSpec<R>): TargetFactory {
  return async ({ job, simUrl, record }): Promise<HttpPeerTarget> => {
    const peer = await spec.start({ simUrl, arms: peerArms(job.scenario), logDir: join(logRoot, job.scenario.name) });
    const servedModel = (r: R) => (peer.servedModel ? peer.servedModel(r) : r.servedModel);
    const outcome = (r: R): LiveOutcome => {
      const served = servedModel(r);
      const servedArm = r.ok ? job.scenario.arms.findIndex((a) => simModelOf(a) === served) : -1;
      const blocked = r.ok && r.finishReason === 'content_filter';
      return {
        ok: r.ok && !blocked,
        latencyMs: 0, // the engine measures it
        servedArm,
        firstArm: -1,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        ...(r.ok ? (blocked ? { failure: 'content_policy' } : {}) : { failure: spec.failureKind(r) }),
      };
    };
    const inFlight = new Set<Promise<void>>();
    const send = (indices: number[]) => {
      for (const i of indices) {
        const req = job.world.requests[i];
        const c = job.scenario.workload.classes[req.classIndex];
        const p = peer
          .call({
            requestId: `live-${i}`,
            prompt: promptText(i, req.inputTokens, answerTokens(job.scenario, req)),
            // As Switchyard's requests: the class's max tokens (the drawn length when it has none).
            maxTokens: c.maxTokens ?? answerTokens(job.scenario, req),
            timeoutMs: c.deadlineMs,
          })
          .then((r) => record(i, outcome(r)));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      return Promise.resolve();
    };
    return {
      send,
      duplicates: () => 0,
      // Both peers forward our request-id header to the provider, so the simulator's call log says
      // which arm each request tried first.
      firstArms: async () => {
        const res = await fetch(`${simUrl}/_sim/calls?limit=1000000`);
        const calls = (await res.json()) as CallRecord[];
        const first = new Map<number, number>();
        for (const call of calls) {
          const id = call.requestId;
          if (!id?.startsWith('live-')) continue;
          const index = Number(id.slice(5));
          if (!first.has(index)) first.set(index, armIndex(job.scenario, call.model ?? undefined));
        }
        return first;
      },
      logs: { [job.policy]: peer.logFile },
      // No dlqTopic: an HTTP peer answers every call (an error is an answer), so only answered/lost apply.
      stop: async () => {
        await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, 5_000))]);
        await peer.close();
      },
      peerOutput: () => peer.output(),
    };
  };
}
