// Job events in process: workers publish, event streams subscribe. Each job's events are
// kept until a while after it ends, so a client that connects late still sees them all,
// in order. The bus also knows whether anyone is watching a job's previews, so that none
// is rendered for nobody.

export type JobEvent =
  | { type: 'queued'; position: number }
  | { type: 'started'; attempt: number }
  | { type: 'progress'; step: number; total: number; preview?: string }
  | { type: 'done'; images: { id: string; url: string; width: number; height: number; seed: number | null }[] }
  | { type: 'failed'; error: { code: string; message: string } }
  | { type: 'cancelled' };

export const TERMINAL: ReadonlySet<JobEvent['type']> = new Set(['done', 'failed', 'cancelled']);

type Listener = (event: JobEvent) => void;

interface Channel {
  history: JobEvent[];
  listeners: Set<Listener>;
  /** Listeners that show previews. */
  previewWatchers: number;
  expiry?: NodeJS.Timeout;
}

export class ProgressBus {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly keepMs = 10 * 60_000) {}

  private channel(jobId: string): Channel {
    let channel = this.channels.get(jobId);
    if (!channel) {
      channel = { history: [], listeners: new Set(), previewWatchers: 0 };
      this.channels.set(jobId, channel);
    }
    return channel;
  }

  publish(jobId: string, event: JobEvent): void {
    const channel = this.channel(jobId);
    const last = channel.history.at(-1);
    // A job ends once: whatever a late worker or an erasure says after that is not news.
    if (last && TERMINAL.has(last.type)) return;
    // A late subscriber gets every step, but only the latest preview (they are large).
    if (event.type === 'progress' && last?.type === 'progress' && last.preview) {
      channel.history[channel.history.length - 1] = { type: 'progress', step: last.step, total: last.total };
    }
    channel.history.push(event);
    for (const listener of channel.listeners) listener(event);
    if (TERMINAL.has(event.type)) {
      channel.expiry = setTimeout(() => this.channels.delete(jobId), this.keepMs);
      channel.expiry.unref();
    }
  }

  /** Replays what happened so far, then follows; returns the unsubscribe function. `previews`: the listener shows them. */
  subscribe(jobId: string, listener: Listener, { previews = false } = {}): () => void {
    const channel = this.channel(jobId);
    for (const event of channel.history) listener(event);
    channel.listeners.add(listener);
    if (previews) channel.previewWatchers++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      channel.listeners.delete(listener);
      if (previews) channel.previewWatchers--;
    };
  }

  /** Whether a listener of the job shows previews: else none need be rendered. */
  wantsPreviews(jobId: string): boolean {
    return (this.channels.get(jobId)?.previewWatchers ?? 0) > 0;
  }

  /** Whether this process has seen the job's events (false after a restart). */
  knows(jobId: string): boolean {
    return (this.channels.get(jobId)?.history.length ?? 0) > 0;
  }
}
