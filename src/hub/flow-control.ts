/**
 * FlowControl: producer back-pressure. Past the memory high-water mark every producing session is told
 * to stop reading its client socket; under the low-water mark (half of it) they resume. Consumers are
 * never paused, so queues can drain; nor is a producer while it holds unacknowledged messages, whose
 * ACKs must still be read (RabbitMQ blocks such a connection, and it deadlocks).
 */
import type { HubSession } from './model.js';

/** Tracks bytes of held messages and pauses/resumes producers. */
export class FlowControl {
  private bytes = 0;
  private paused = false;
  private readonly producers = new Set<HubSession>();
  /** Producers told to stop reading. */
  private readonly throttled = new Set<HubSession>();

  constructor(private readonly highWatermark: number) {}

  /** Bytes of messages the hub holds now. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Whether producers are paused now. */
  get isPaused(): boolean {
    return this.paused;
  }

  add(bytes: number): void {
    this.bytes += bytes;
    if (!this.paused && this.bytes > this.highWatermark) this.setPaused(true);
  }

  remove(bytes: number): void {
    this.bytes -= bytes;
    if (this.paused && this.bytes < this.highWatermark / 2) this.setPaused(false);
  }

  /** A session published: from now on it is paused with the others. */
  noteProducer(session: HubSession): void {
    if (session.producer) return;
    session.producer = true;
    this.producers.add(session);
    this.update(session);
  }

  /** The session's unacknowledged messages changed: it may have to be resumed (or paused). */
  update(session: HubSession): void {
    if (!session.producer) return;
    const pause = this.paused && !holdsUnacked(session);
    if (pause === this.throttled.has(session)) return;
    if (pause) this.throttled.add(session);
    else this.throttled.delete(session);
    session.send({ t: 'throttle', paused: pause });
  }

  forget(session: HubSession): void {
    this.producers.delete(session);
    this.throttled.delete(session);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    for (const session of this.producers) this.update(session);
  }
}

function holdsUnacked(session: HubSession): boolean {
  for (const sub of session.subs.values()) if (sub.unacked.size > 0) return true;
  return false;
}
