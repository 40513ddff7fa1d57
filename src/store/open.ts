/** Opens the configured store: the one place that knows the implementations behind QueueStore. */
import { MemoryStore } from './memory.js';
import type { QueueStore, StoreOptions } from './store.js';

/** Opens the store `options.kind` names; rejects with a message naming the path when the lmdb store cannot be opened. */
export async function openStore(options: StoreOptions): Promise<QueueStore> {
  if (options.kind === 'memory') return new MemoryStore();
  // Loaded on demand so memory-only brokers (and their tests) never load the native addon.
  const { LmdbStore } = await import('./lmdb.js');
  return LmdbStore.open(options);
}
