/** Conversion between the hub's held messages and the store's records. */
import type { WireMessage } from '../ipc/contract.js';
import type { StoredMessage } from '../store/store.js';
import { type HeldMessage, messageBytes } from './model.js';

/** The record the store keeps for `held`. */
export function toStored(held: HeldMessage): StoredMessage {
  const { wire } = held;
  return {
    id: wire.id, dest: wire.dest, headers: wire.headers, body: wire.body, redeliveries: wire.redeliveries,
    priority: held.priority, deliverAt: held.deliverAt, expiresAt: held.expiresAt, queue: held.queue,
    failures: held.failures, ...(held.transient ? { transient: true } : {}),
  };
}

/** A recovered record as a held message (persistent by definition). */
export function fromStored(s: StoredMessage): HeldMessage {
  const wire: WireMessage = { id: s.id, dest: s.dest, headers: s.headers, body: s.body, redeliveries: s.redeliveries };
  return {
    wire, queue: s.queue ?? s.dest, bytes: messageBytes(wire), priority: s.priority, deliverAt: s.deliverAt,
    expiresAt: s.expiresAt, persistent: true, failures: s.failures ?? [], marked: false, producer: 0,
  };
}
