/** Money for people: $12.30, $0.0042, $0.000012. */
export function formatUsd(usd: number): string {
  if (usd < 0) return `−${formatUsd(-usd)}`;
  if (usd >= 1 || usd === 0) return `$${usd.toFixed(2)}`;
  if (usd >= 0.0001) return `$${usd.toFixed(4)}`;
  return `$${usd.toPrecision(2)}`;
}
