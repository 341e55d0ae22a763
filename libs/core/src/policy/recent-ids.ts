/** A bounded set of recently seen ids (oldest evicted first), for idempotent outcome ingestion. */
export class RecentIds {
  private readonly ids = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(private readonly capacity = 10_000) {}

  /** Returns false when `id` was already seen (and remembers it otherwise). */
  add(id: string): boolean {
    // One hash lookup instead of has() then add(): a known id leaves the size unchanged.
    const size = this.ids.size;
    this.ids.add(id);
    if (this.ids.size === size) return false;
    if (this.order.length < this.capacity) {
      this.order.push(id);
    } else {
      this.ids.delete(this.order[this.head]);
      this.order[this.head] = id;
      this.head = (this.head + 1) % this.capacity;
    }
    return true;
  }
}
