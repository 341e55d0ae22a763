/** The embeddings of a class's last accepted answers, per class, newest last (per replica, in memory). */
export class RecentAnswers {
  private readonly perClass = new Map<string, Float32Array[]>();

  add(requestClass: string, vector: Float32Array, keep: number): void {
    const list = this.perClass.get(requestClass) ?? [];
    list.push(vector);
    if (list.length > keep) list.splice(0, list.length - keep);
    this.perClass.set(requestClass, list);
  }

  count(requestClass: string): number {
    return this.perClass.get(requestClass)?.length ?? 0;
  }

  /** The highest cosine similarity of `vector` to the class's last `recent` answers (undefined with none). */
  nearest(requestClass: string, vector: Float32Array, recent: number): number | undefined {
    const list = (this.perClass.get(requestClass) ?? []).slice(-recent);
    if (list.length === 0) return undefined;
    return Math.max(...list.map((v) => cosine(v, vector)));
  }
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
