// Routing tables for the simulator, written to a temporary file (benches and e2e suites).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface YamlArm {
  id: string;
  provider: string;
  model: string;
  pricing: { inputPer1M: number; outputPer1M: number };
  contextWindow: number;
  connectMs: number;
  totalMs: number;
  policyGroup?: string;
  classes?: string[];
}

/** One arm of the `arms:` list. */
export function armYaml(a: YamlArm): string[] {
  return [
    `  - id: ${a.id}`,
    `    provider: ${a.provider}`,
    `    model: ${a.model}`,
    `    pricing: { inputPer1M: ${a.pricing.inputPer1M}, outputPer1M: ${a.pricing.outputPer1M} }`,
    `    contextWindow: ${a.contextWindow}`,
    '    maxOutputTokens: 4096',
    `    timeouts: { connectMs: ${a.connectMs}, totalMs: ${a.totalMs} }`,
    ...(a.policyGroup ? [`    policyGroup: ${a.policyGroup}`] : []),
    ...(a.classes ? [`    classes: [${a.classes.join(', ')}]`] : []),
  ];
}

/** Writes `lines` as routing.yaml in a new temporary directory named from `prefix`; returns its path. */
export function writeRoutingYaml(prefix: string, lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), 'routing.yaml');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}
