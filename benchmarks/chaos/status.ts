/** Queue depths from `stomp-broker status --json`, asked the way an operator would. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../fuzz/broker-process.js';

/** Ready and in-flight messages of one destination. */
export interface QueueState {
  depth: number;
  inFlight: number;
}

/** Depth and in-flight count of each of `queues`, or null when the broker did not answer. */
export function queueStates(dataDir: string, queues: readonly string[], bin?: string): Promise<Record<string, QueueState> | null> {
  const cli = bin ?? path.join(REPO_ROOT, 'bin', 'stomp-broker');
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'status', '--json', '--data-dir', dataDir], { timeout: 20_000 }, (err, stdout) => {
      if (err) {
        resolve(null);
        return;
      }
      const status = JSON.parse(stdout) as { destinations: Array<{ name: string; depth: number; inFlight: number }> };
      const out: Record<string, QueueState> = {};
      for (const q of queues) {
        const d = status.destinations.find((x) => x.name === q);
        out[q] = { depth: d?.depth ?? 0, inFlight: d?.inFlight ?? 0 };
      }
      resolve(out);
    });
  });
}
