import { z } from 'zod';

/**
 * Stream chunk v1: one piece of a streamed answer (a request v1 with `stream: true`), on the
 * stream topic keyed by request id, in order (`seq` from 0). Joined, the deltas of one request are
 * its answer's `output.text`; the response v1 on the responses topic follows the last chunk.
 */
export const streamChunkV1Schema = z.object({
  schemaVersion: z.literal(1),
  id: z.string(),
  seq: z.int().nonnegative(),
  delta: z.string(),
});

export type StreamChunkV1 = z.infer<typeof streamChunkV1Schema>;
