/**
 * Incremental stop-string matching for streamed text: text that could still turn into a stop
 * string is held back until it cannot, and the stop string itself is never emitted.
 */
export class StopMatcher {
  private held = '';
  private readonly stops: readonly string[];
  private readonly maxLen: number;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
    this.maxLen = this.stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** Add streamed text; returns the text safe to emit, and whether a stop string was reached. */
  push(piece: string): { text: string; stopped: boolean } {
    if (this.stops.length === 0) return { text: piece, stopped: false };
    this.held += piece;
    let first = -1;
    for (const s of this.stops) {
      const j = this.held.indexOf(s);
      if (j >= 0 && (first < 0 || j < first)) first = j;
    }
    if (first >= 0) {
      const text = this.held.slice(0, first);
      this.held = '';
      return { text, stopped: true };
    }
    // Keep the longest suffix that is a prefix of some stop string.
    let keep = 0;
    for (let k = Math.min(this.maxLen - 1, this.held.length); k > 0; k--) {
      const tail = this.held.slice(this.held.length - k);
      if (this.stops.some((s) => s.startsWith(tail))) {
        keep = k;
        break;
      }
    }
    const text = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return { text, stopped: false };
  }

  /** End of stream: push `piece`, then release whatever is still held (cut at a stop string if one completes). */
  flush(piece = ''): string {
    const r = this.push(piece);
    if (r.stopped) return r.text;
    const out = r.text + this.held;
    this.held = '';
    return out;
  }
}
