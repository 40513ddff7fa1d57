/**
 * The control client's side of the bus (the CLI's `status` and `reload`, and tests): ask the hub,
 * wait for its answer. Only the broker's OS user can open the bus socket (its directory is mode 0700).
 */
import type { BrokerStatus, ControlToHub, HubToControl, ReloadReplyMsg } from './contract.js';
import { connectBus } from './transport.js';

/** Sends `request` to the broker whose bus is at `busPath`; resolves with the answer of kind `reply`. */
async function ask<K extends HubToControl['t']>(busPath: string, request: ControlToHub, reply: K,
  timeoutMs = 5000): Promise<Extract<HubToControl, { t: K }>> {
  const bus = await connectBus<HubToControl, ControlToHub>(busPath, 'control');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      bus.close();
      reject(new Error('the broker did not answer'));
    }, timeoutMs);
    bus.onMessage = (m) => {
      if (m.t !== reply) return;
      clearTimeout(timer);
      bus.close();
      resolve(m as Extract<HubToControl, { t: K }>);
    };
    bus.send(request);
  });
}

/** Asks the broker whose bus is at `busPath` for its status; rejects if it does not answer in 5 s. */
export async function askStatus(busPath: string): Promise<BrokerStatus> {
  return (await ask(busPath, { t: 'status', rid: 1 }, 'status-reply')).status;
}

/** Asks the broker to reread its users file and configuration; resolves with whether it took them. */
export async function askReload(busPath: string): Promise<Omit<ReloadReplyMsg, 't' | 'rid'>> {
  const { ok, message } = await ask(busPath, { t: 'reload', rid: 1 }, 'reload-reply', 30_000);
  return { ok, message };
}
