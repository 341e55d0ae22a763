/**
 * How deeply a parsed JSON value nests objects and arrays (a scalar is 0, `[]` and `{}` are 1),
 * walked with an explicit stack so no input can overflow the call stack. Stops as soon as the
 * depth passes `limit`: a hostile value is refused after at most `limit` levels of one branch.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
