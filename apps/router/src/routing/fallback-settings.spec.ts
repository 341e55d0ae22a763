import { parseRoutingTable } from '../config/routing-table.loader';
import { ConfigError } from '../config/env';
import { classFallbackGuards, classReductions, guardEmbedder } from './fallback-settings';

const BASE = `providers:
  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/openai/v1 }
arms:
  - { id: small, provider: sim, model: m, pricing: { inputPer1M: 1, outputPer1M: 2 }, contextWindow: 8000, maxOutputTokens: 1000 }
  - { id: long, provider: sim, model: l, pricing: { inputPer1M: 0.1, outputPer1M: 0.4 }, contextWindow: 200000, maxOutputTokens: 1000, classes: [internal] }
`;

const parse = (yaml: string) => parseRoutingTable(BASE + yaml, 'routing.yaml', {});

describe('routing table: classes.<name>.reduction and fallbackGuard', () => {
  it('reads the short and the long forms, with the summary budget defaulted', () => {
    const table = parse(`classes:
  chat: { reduction: trim }
  notes: { reduction: { method: summarize, summarizeWith: long } }
  legal: { reduction: off }
  plain: {}
`);
    expect(classReductions(table)).toEqual({
      chat: { method: 'trim' },
      notes: { method: 'summarize', summarizeWith: 'long', summaryMaxTokens: 512 },
      legal: { method: 'off' },
    });
  });

  it('refuses summarize without a summariser, and a summariser or judge that is not an arm', () => {
    expect(() => parse(`classes:\n  chat: { reduction: summarize }\n`)).toThrow(/classes\.chat\.reduction.*summarize needs the summariser/s);
    expect(() => parse(`classes:\n  chat: { reduction: { method: summarize, summarizeWith: nope } }\n`)).toThrow(/unknown arm "nope" as the summariser/);
    expect(() => parse(`classes:\n  chat: { fallbackGuard: { judge: nope, prompt: ok? } }\n`)).toThrow(/unknown arm "nope" as the fallback judge/);
    expect(() => parse(`classes:\n  chat: { reduction: shrink }\n`)).toThrow(ConfigError);
  });

  it('reads both guards; the similarity guard needs cache.embeddings and takes its embedder from it', () => {
    expect(() => parse(`classes:\n  chat: { fallbackGuard: { minSimilarity: 0.8 } }\n`)).toThrow(/similarity fallback guard embeds answers with cache.embeddings/);
    const table = parse(`cache: { embeddings: { provider: sim, model: text-embedding-3-small } }
classes:
  chat: { fallbackGuard: { minSimilarity: 0.8 } }
  legal: { fallbackGuard: { judge: long, prompt: Is this legal advice sound? } }
`);
    expect(classFallbackGuards(table)).toEqual({
      chat: { kind: 'similarity', minSimilarity: 0.8, recent: 20 },
      legal: { kind: 'judge', judge: 'long', prompt: 'Is this legal advice sound?' },
    });
    expect(guardEmbedder(table)).toBeDefined();
    expect(guardEmbedder(parse(''))).toBeUndefined();
  });
});
