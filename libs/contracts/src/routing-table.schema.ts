import { z } from 'zod';

const providerKind = z.enum(['openai', 'anthropic', 'openai-compatible']);

export const providerEndpointSchema = z
  .object({
    kind: providerKind,
    /** Defaults to the provider's public API when omitted (openai-compatible requires it). */
    baseUrl: z.url().optional(),
    /** Name of the environment variable holding the API key. */
    apiKeyEnv: z.string().min(1).optional(),
    /** Path of a file holding the API key (Kubernetes/Docker secrets). */
    apiKeyFile: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((p) => p.kind !== 'openai-compatible' || p.baseUrl !== undefined, {
    message: 'openai-compatible providers need a baseUrl (e.g. http://127.0.0.1:8000/v1 for vLLM)',
    path: ['baseUrl'],
  });

export const armSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'arm ids use letters, digits and . _ : - (1-64 chars)'),
    provider: z.string().min(1),
    model: z.string().min(1),
    pricing: z.object({ inputPer1M: z.number().nonnegative(), outputPer1M: z.number().nonnegative() }).strict(),
    contextWindow: z.int().positive(),
    maxOutputTokens: z.int().positive(),
    classes: z.array(z.string().min(1)).default([]),
    policyGroup: z.string().min(1).default('default'),
    timeouts: z
      .object({ connectMs: z.int().positive().default(2_000), totalMs: z.int().positive().default(60_000) })
      .strict()
      .default({ connectMs: 2_000, totalMs: 60_000 }),
    rateLimit: z.object({ rpm: z.int().positive().optional(), tpm: z.int().positive().optional() }).strict().optional(),
  })
  .strict();

/**
 * The routing table (YAML). Validated once at boot; any error names the field so the process can
 * refuse to start with a message a person can act on.
 */
export const routingTableSchema = z
  .object({
    providers: z.record(z.string().min(1), providerEndpointSchema),
    arms: z.array(armSchema).min(1),
  })
  .strict()
  .superRefine((table, ctx) => {
    const seen = new Set<string>();
    table.arms.forEach((arm, i) => {
      if (seen.has(arm.id)) ctx.addIssue({ code: 'custom', path: ['arms', i, 'id'], message: `duplicate arm id "${arm.id}"` });
      seen.add(arm.id);
      if (!Object.hasOwn(table.providers, arm.provider)) {
        ctx.addIssue({
          code: 'custom',
          path: ['arms', i, 'provider'],
          message: `unknown provider "${arm.provider}"; declared providers: ${Object.keys(table.providers).join(', ') || '(none)'}`,
        });
      }
      if (arm.maxOutputTokens > arm.contextWindow) {
        ctx.addIssue({ code: 'custom', path: ['arms', i, 'maxOutputTokens'], message: 'maxOutputTokens exceeds contextWindow' });
      }
    });
  });

export type RoutingTable = z.infer<typeof routingTableSchema>;
export type ProviderEndpoint = z.infer<typeof providerEndpointSchema>;
export type ArmEntry = z.infer<typeof armSchema>;
