// Live simulator state: the models as currently configured, their random streams, and the scripted
// phases, applied lazily (on each call / control read) relative to the scenario start.
import { applyModelPatch, ConfigError } from './config-loader';
import type { ApiKind, ModelPatch, ModelSpec, PhaseSpec, SimConfig } from './config-schema';
import { streamFor, type Rng } from './prng';

export interface LiveModel {
  spec: ModelSpec;
  /** Behaviour at scenario start (what a phase's `restore` goes back to). */
  readonly startSpec: ModelSpec;
  readonly rng: Rng;
  /** Token-bucket state for `faults.rateLimit` (created on the first limited call). */
  bucket?: { tokens: number; atMs: number };
}

export type Clock = () => number;

export class Scenario {
  private models = new Map<string, LiveModel>();
  private phases: PhaseSpec[] = [];
  private nextPhase = 0;
  private startedAt = 0;
  private config!: SimConfig;

  constructor(
    config: SimConfig,
    private readonly clock: Clock = () => performance.now(),
  ) {
    this.load(config);
  }

  /** Replaces models and phases, re-seeds every stream and restarts the phase clock. */
  load(config: SimConfig): void {
    this.config = config;
    this.models = new Map();
    for (const spec of config.models) {
      this.models.set(key(spec.api, spec.name), {
        spec,
        startSpec: spec,
        rng: streamFor(config.seed, key(spec.api, spec.name)),
      });
    }
    this.phases = config.phases;
    this.nextPhase = 0;
    this.startedAt = this.clock();
    this.advance();
  }

  get seed(): number {
    return this.config.seed;
  }

  get latencyScale(): number {
    return this.config.latencyScale;
  }

  set latencyScale(value: number) {
    this.config = { ...this.config, latencyScale: value };
  }

  get modelCount(): number {
    return this.models.size;
  }

  /** Milliseconds since the scenario started. */
  elapsedMs(): number {
    return this.clock() - this.startedAt;
  }

  /** Applies every phase whose time has come (cheap when none is due). */
  advance(): void {
    if (this.nextPhase >= this.phases.length) return;
    const elapsed = this.elapsedMs();
    while (this.nextPhase < this.phases.length && this.phases[this.nextPhase].atMs <= elapsed) {
      this.applyPhase(this.phases[this.nextPhase]);
      this.nextPhase++;
    }
  }

  private applyPhase(phase: PhaseSpec): void {
    for (const live of this.matching(phase.model, phase.api)) {
      let spec = phase.restore ? live.startSpec : live.spec;
      if (phase.patch) spec = applyModelPatch(spec, phase.patch);
      live.spec = spec;
    }
  }

  private matching(name: string, api?: ApiKind): LiveModel[] {
    const out: LiveModel[] = [];
    for (const live of this.models.values()) {
      if ((name === '*' || live.spec.name === name) && (!api || live.spec.api === api)) out.push(live);
    }
    return out;
  }

  find(api: ApiKind, name: string): LiveModel | undefined {
    this.advance();
    return this.models.get(key(api, name));
  }

  list(api?: ApiKind): ModelSpec[] {
    this.advance();
    const out: ModelSpec[] = [];
    for (const live of this.models.values()) if (!api || live.spec.api === api) out.push(live.spec);
    return out;
  }

  /** Merges a patch into the live behaviour of every entry named `name` (optionally one API). */
  patchModel(name: string, patch: ModelPatch, api?: ApiKind): ModelSpec[] {
    this.advance();
    const targets = this.matching(name, api);
    if (targets.length === 0) throw new ConfigError(`unknown model ${name}${api ? ` (${api})` : ''}`);
    // Validate every result before committing any.
    const next = targets.map((live) => applyModelPatch(live.spec, patch));
    targets.forEach((live, i) => (live.spec = next[i]));
    return next;
  }

  snapshot(): SimConfig & { elapsedMs: number; phasesApplied: number } {
    this.advance();
    return {
      seed: this.config.seed,
      latencyScale: this.config.latencyScale,
      callLogCapacity: this.config.callLogCapacity,
      // (apiKeys are not shown: the control API is unauthenticated.)
      strict: this.config.strict,
      models: [...this.models.values()].map((m) => m.spec),
      phases: this.phases,
      elapsedMs: Math.round(this.elapsedMs()),
      phasesApplied: this.nextPhase,
    };
  }
}

function key(api: ApiKind, name: string): string {
  return `${api}:${name}`;
}
