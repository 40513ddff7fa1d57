/** The control client's side of the bus (the CLI's `status`, and tests): ask the hub, wait for its answer. */
import type { BrokerStatus, ControlToHub, HubToControl } from './contract.js';
import { connectBus } from './transport.js';

/** Asks the broker whose bus is at `busPath` for its status; rejects if it does not answer in 5 s. */
export async function askStatus(busPath: string): Promise<BrokerStatus> {
  const bus = await connectBus<HubToControl, ControlToHub>(busPath, 'control');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the broker did not answer')), 5000);
    bus.onMessage = (m) => {
      if (m.t !== 'status-reply') return;
      clearTimeout(timer);
      bus.close();
      resolve(m.status);
    };
    bus.send({ t: 'status', rid: 1 });
  });
}
