/** The memory store against the shared QueueStore contract; "reopen" hands back the same object. */
import { openStore } from '../../src/store/open.js';
import { runStoreContract } from './contract.js';

runStoreContract('memory', async () => {
  const store = await openStore({ dataDir: '/nonexistent/memory-store-never-touches-disk', kind: 'memory' });
  return { store, reopen: async () => store, cleanup: () => store.close() };
});
