/**
 * The chaos clients' own records: every message sent (and whether its SEND got a RECEIPT), every
 * delivery (and whether it said `redelivered:true`), every ACK that got a RECEIPT. At the end the
 * ledger is checked against the broker's promises; nothing is asked of the broker itself.
 */
import { performance } from 'node:perf_hooks';

interface Sent {
  receiptedAt: number | null;
}

interface Delivery {
  at: number;
  redelivered: boolean;
}

/** What the checks found. */
export interface LedgerReport {
  sent: number;
  receipted: number;
  /** Sent, never receipted (in doubt: the broker may or may not have it). */
  inDoubt: number;
  inDoubtDelivered: number;
  delivered: number;
  deliveries: number;
  /** Messages delivered more than once. */
  duplicated: number;
  /** Deliveries after the first of a message, and how many of them carried redelivered:true. */
  redeliveries: number;
  redeliveriesFlagged: number;
  ackReceipted: number;
  /** Receipted messages never delivered: must be 0. */
  lost: number;
  /** Deliveries of messages never sent, or with a body that is not the one sent: must be 0. */
  phantom: number;
  /** Deliveries after an ACK of the same message got its RECEIPT: must be 0. */
  deliveredAfterAck: number;
  examples: { lost: string[]; phantom: string[]; deliveredAfterAck: string[]; unflaggedRedelivery: string[] };
}

const EXAMPLES = 10;

/** The records of one chaos run. */
export class Ledger {
  private readonly sent = new Map<string, Sent>();
  private readonly deliveries = new Map<string, Delivery[]>();
  private readonly acked = new Map<string, number>();
  private readonly phantoms: string[] = [];
  private phantomCount = 0;
  /** When the last MESSAGE was read (performance.now()). */
  lastDeliveryAt = 0;

  /** The body a message with this id carries. */
  static body(id: string): Buffer {
    return Buffer.from(`chaos message ${id} `.padEnd(200, '.'));
  }

  /** Notes a SEND written to the socket. */
  sentOne(id: string): void {
    this.sent.set(id, { receiptedAt: null });
  }

  /** Notes the RECEIPT of a SEND. */
  receipted(id: string): void {
    const s = this.sent.get(id);
    if (s && s.receiptedAt === null) s.receiptedAt = performance.now();
  }

  /** Notes a MESSAGE as read by a consumer. */
  delivered(id: string, body: Buffer, redelivered: boolean): void {
    this.lastDeliveryAt = performance.now();
    if (!this.sent.has(id) || !body.equals(Ledger.body(id))) {
      this.phantomCount++;
      if (this.phantoms.length < EXAMPLES) this.phantoms.push(`${id}: ${body.toString('utf8').slice(0, 60)}`);
      return;
    }
    const list = this.deliveries.get(id) ?? [];
    list.push({ at: performance.now(), redelivered });
    this.deliveries.set(id, list);
  }

  /** Notes the RECEIPT of an ACK. */
  ackReceipted(id: string): void {
    if (!this.acked.has(id)) this.acked.set(id, performance.now());
  }

  /** Receipted messages not yet delivered (the drain waits for 0). */
  undelivered(): number {
    let n = 0;
    for (const [id, s] of this.sent) if (s.receiptedAt !== null && !this.deliveries.has(id)) n++;
    return n;
  }

  /** Counts of the run and the results of the three checks. */
  report(): LedgerReport {
    const r: LedgerReport = {
      sent: this.sent.size, receipted: 0, inDoubt: 0, inDoubtDelivered: 0, delivered: this.deliveries.size, deliveries: 0,
      duplicated: 0, redeliveries: 0, redeliveriesFlagged: 0, ackReceipted: this.acked.size, lost: 0,
      phantom: this.phantomCount, deliveredAfterAck: 0,
      examples: { lost: [], phantom: this.phantoms, deliveredAfterAck: [], unflaggedRedelivery: [] },
    };
    for (const [id, s] of this.sent) this.check(id, s, r);
    return r;
  }

  private check(id: string, s: Sent, r: LedgerReport): void {
    const list = this.deliveries.get(id) ?? [];
    if (s.receiptedAt !== null) r.receipted++;
    else r.inDoubt++;
    if (s.receiptedAt === null && list.length > 0) r.inDoubtDelivered++;
    if (s.receiptedAt !== null && list.length === 0) add(r, 'lost', id);
    r.deliveries += list.length;
    if (list.length > 1) r.duplicated++;
    for (const d of list.slice(1)) {
      r.redeliveries++;
      if (d.redelivered) r.redeliveriesFlagged++;
      else if (r.examples.unflaggedRedelivery.length < EXAMPLES) r.examples.unflaggedRedelivery.push(id);
    }
    const ackAt = this.acked.get(id);
    if (ackAt !== undefined && list.some((d) => d.at > ackAt)) add(r, 'deliveredAfterAck', id);
  }
}

function add(r: LedgerReport, key: 'lost' | 'deliveredAfterAck', id: string): void {
  r[key]++;
  if (r.examples[key].length < EXAMPLES) r.examples[key].push(id);
}
