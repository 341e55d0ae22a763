// Live quality feedback: the bench client plays the scenario's users. For the scenario's share of
// a router's ok answers it publishes feedback v1 to that router's feedback topic, the scenario's
// delay after the answer reached the client, with the verdict bench/policy/judgement.ts gives (the
// serving arm's true quality at answer time, the request's own quality, feedback and noise draws):
// the same verdicts, from the same draws, that the in-process simulator hands its router.
// The client judges, not provider-sim: the client already knows the scenario, the world and which
// arm served (from the response), and it scores the answer with the same judgement; a simulator
// judge would need the scenario's quality timeline, each request's draws and a channel back to the
// client, for the same verdict. Peers get no feedback: their users cannot give it.
import type { FeedbackV1Input } from '@switchyard/contracts';
import type { Message, Producer } from 'kafkajs';
import { FEEDBACK_SOURCE, feedbackOn, judgeAnswer } from '../policy/judgement';
import type { Scenario } from '../policy/scenario';
import type { World } from '../policy/world';

export interface FeedbackCounts {
  /** Feedback messages published to the router's feedback topic. */
  published: number;
  /** Of those, verdicts "not acceptable" (score 0). */
  bad: number;
  /** Due after the run stopped, never published. */
  dropped: number;
}

export class LiveFeedback {
  readonly counts: FeedbackCounts = { published: 0, bad: 0, dropped: 0 };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly scenario: Scenario,
    private readonly world: World,
    private readonly producer: () => Producer,
    private readonly topic: string,
    /** Request id of a request index (the id the router answered under). */
    private readonly idOf: (index: number) => string,
  ) {}

  /** An ok answer to request `index` by arm `servedArm` (scenario index) reached the client at scenario time `atMs`. */
  answered(index: number, servedArm: number, atMs: number): void {
    const req = this.world.requests[index];
    if (!req || servedArm < 0) return;
    const feedback = feedbackOn(this.scenario, req, judgeAnswer(this.scenario, this.world, req, servedArm, atMs));
    if (!feedback) return;
    const body: FeedbackV1Input = { schemaVersion: 1, requestId: this.idOf(index), score: feedback.score, source: FEEDBACK_SOURCE };
    const message: Message = { key: body.requestId, value: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const sent = this.producer()
        .send({ topic: this.topic, acks: -1, messages: [message] })
        .then(() => {
          this.counts.published++;
          if (feedback.score === 0) this.counts.bad++;
        })
        // A failed publish is feedback a user never gave: counted with the undelivered ones.
        .catch(() => void this.counts.dropped++)
        .finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }, feedback.delayMs);
    this.timers.add(timer);
  }

  /** Cancels feedback not yet due (counted as dropped) and waits for the publishes under way. */
  async stop(): Promise<void> {
    this.counts.dropped += this.timers.size;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.inFlight);
  }
}
