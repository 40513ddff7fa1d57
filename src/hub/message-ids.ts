/**
 * MessageIds: broker-wide message ids (a MESSAGE's `message-id`), unique across restarts too, since
 * consumers de-duplicate by them. The store remembers the highest id of a persistent message, but a
 * non-persistent one is never written: so ids are handed out from a block reserved in the store's
 * metadata, and a restart continues above the last reserve (losing at most one block of numbers).
 */
import type { Logger } from '../log.js';
import type { QueueStore } from '../store/store.js';

/** Metadata key of the reserve: every id handed out so far is below it. */
const RESERVE_META = 'message-id-reserve';
/** Ids reserved at a time; the next reserve is written when half of them are left. */
const BLOCK = 1_000_000;

export class MessageIds {
  private next = 1;
  /** Ids below this are covered by a reserve on disk. */
  private reserved = 0;
  private reserving = false;

  constructor(private readonly store: Pick<QueueStore, 'maxId' | 'getMeta' | 'putMeta'>, private readonly log: Logger) {}

  /** Continues above every id a previous run could have handed out; resolves once a reserve covers the next ones. */
  async recover(): Promise<void> {
    const saved = Number(this.store.getMeta(RESERVE_META) ?? 0);
    this.next = Math.max(this.store.maxId(), Number.isSafeInteger(saved) && saved > 0 ? saved : 0) + 1;
    this.reserved = 0;
    await this.reserve();
  }

  /** The next id. */
  take(): number {
    const id = this.next++;
    if (this.reserved - this.next < BLOCK / 2 && !this.reserving) {
      void this.reserve().catch((err: Error) => this.log.error(`store: reserving message ids failed: ${err.message}`));
    }
    return id;
  }

  private async reserve(): Promise<void> {
    this.reserving = true;
    const upTo = this.next + BLOCK;
    try {
      await this.store.putMeta(RESERVE_META, upTo);
      this.reserved = Math.max(this.reserved, upTo);
    } finally {
      this.reserving = false;
    }
  }
}
