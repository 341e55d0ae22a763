/**
 * What this guard's calls in flight have reserved, per budget line (window instance): the headroom
 * they hold until they settle, usually at less than their maximum cost. The pacer keeps at least
 * this much for the end of a window, so the last requests of a window can still reserve.
 */
export class InFlightReservations {
  private readonly byLine = new Map<string, number>();
  private readonly byReservation = new Map<string, { amountUsd: number; lines: string[] }>();

  hold(reservationId: string, amountUsd: number, lines: readonly string[]): void {
    // Bounded: a reservation never settled (a crash mid-call) stops counting here.
    if (this.byReservation.size >= 100_000) {
      this.byReservation.clear();
      this.byLine.clear();
    }
    this.byReservation.set(reservationId, { amountUsd, lines: [...lines] });
    for (const line of lines) this.byLine.set(line, (this.byLine.get(line) ?? 0) + amountUsd);
  }

  /** The reservation settled or was released. Unknown ids: no-op. */
  land(reservationId: string): void {
    const held = this.byReservation.get(reservationId);
    if (!held) return;
    this.byReservation.delete(reservationId);
    for (const line of held.lines) {
      const left = (this.byLine.get(line) ?? 0) - held.amountUsd;
      if (left > 1e-12) this.byLine.set(line, left);
      else this.byLine.delete(line);
    }
  }

  of(line: string): number {
    return this.byLine.get(line) ?? 0;
  }
}
