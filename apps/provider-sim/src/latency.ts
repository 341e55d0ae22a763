// Log-normal latency from a median and a P95: mu = ln(median), sigma = ln(p95 / median) / 1.645.
import type { LatencySpec } from './config-schema';

const Z95 = 1.6448536269514722;
/** Draws are clipped at +/- 4.5 sigma so a single unlucky draw cannot stall a test for minutes. */
const MAX_Z = 4.5;

/**
 * `u1`, `u2`: independent uniforms in [0, 1) (Box-Muller); `uTail`: a third one, for models with a
 * `tail` (the call is in the tail when it is below the tail's share).
 */
export function sampleLatencyMs(spec: LatencySpec, scale: number, u1: number, u2: number, uTail = 1): number {
  const median = spec.medianMs * spec.multiplier * scale * (spec.tail && uTail < spec.tail.share ? spec.tail.multiplier : 1);
  if (!(median > 0)) return 0;
  const sigma = spec.p95Ms > spec.medianMs && spec.medianMs > 0 ? Math.log(spec.p95Ms / spec.medianMs) / Z95 : 0;
  if (sigma === 0) return median;
  let z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  if (z > MAX_Z) z = MAX_Z;
  else if (z < -MAX_Z) z = -MAX_Z;
  return median * Math.exp(sigma * z);
}
