/**
 * LoginThrottle: slows password guessing. A failed login is answered only after a delay that doubles
 * with each recent failure from the same client address (up to 64 times the first); and once an
 * address has failed, its next attempts run one after another, each behind the previous one's delay,
 * so opening many connections does not multiply the guesses. Addresses without a recent failure are
 * not slowed, but check at most PARALLEL_ATTEMPTS logins at once: a first burst of connections must
 * not get hundreds of guesses (and as many scrypt verifications) in before the first failure counts.
 * Memory is bounded: at most MAX_ADDRESSES are remembered (plus those with an attempt
 * under way, which --max-connections bounds), each forgotten FORGET_MS after its last failure.
 */

/** Addresses remembered at once; past it the least recently failed one is forgotten. */
const MAX_ADDRESSES = 10_000;
/** A failure stops counting this long after it, ms. */
const FORGET_MS = 10 * 60_000;
/** The delay stops doubling after this many failures (2^6 = 64 times the first delay). */
const MAX_DOUBLINGS = 6;
/** Logins of one address checked at once (~65 ms of scrypt each: 50 workers starting together wait < 1 s). */
export const PARALLEL_ATTEMPTS = 4;

/** The attempts of one address under way, and those waiting for one of them to finish. */
interface AddressGate {
  running: number;
  queued: Array<() => void>;
}

interface AddressRecord {
  failures: number;
  last: number;
  /** The attempts of this address, in order: each waits for the one before it. */
  tail: Promise<void>;
  /** Attempts queued or running. */
  waiting: number;
}

/** Per-address back-off of failed logins. */
export class LoginThrottle {
  private readonly byAddress = new Map<string, AddressRecord>();
  /** Addresses with an attempt under way (bounded by --max-connections, as attempts are). */
  private readonly gates = new Map<string, AddressGate>();

  constructor(
    /** Delay of a first failure, ms. */
    private readonly baseDelayMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Addresses remembered now (for tests and status). */
  get size(): number {
    return this.byAddress.size;
  }

  /**
   * Runs `attempt` (true = the login succeeded) for a client at `address`; a failure resolves false
   * only after its delay. Attempts from an address that failed recently wait for the earlier ones.
   */
  async attempt(address: string, attempt: () => Promise<boolean>): Promise<boolean> {
    return this.gated(address, async () => {
      // Looked up once this attempt's turn has come: a failure may have come in while it waited.
      const known = this.recent(address);
      if (!known) {
        const ok = await attempt();
        if (!ok) {
          const record = this.remember(address);
          await this.inTurn(record, () => this.failed(address, record));
        }
        return ok;
      }
      return this.inTurn(known, async () => {
        const ok = await attempt();
        if (!ok) await this.failed(address, known);
        return ok;
      });
    });
  }

  /** Runs `work` once fewer than PARALLEL_ATTEMPTS attempts of `address` are under way. */
  private async gated<T>(address: string, work: () => Promise<T>): Promise<T> {
    let gate = this.gates.get(address);
    if (!gate) this.gates.set(address, (gate = { running: 0, queued: [] }));
    if (gate.running < PARALLEL_ATTEMPTS) gate.running++;
    else await new Promise<void>((resolve) => gate.queued.push(resolve));
    try {
      return await work();
    } finally {
      const next = gate.queued.shift();
      if (next) next(); // the finished attempt's place goes to the next one
      else if (--gate.running === 0) this.gates.delete(address);
    }
  }

  /** The delay the next failure from `address` gets, ms. */
  delayFor(address: string): number {
    const failures = (this.recent(address)?.failures ?? 0) + 1;
    return this.baseDelayMs * 2 ** Math.min(failures - 1, MAX_DOUBLINGS);
  }

  /** Runs `work` after every attempt of this address queued before it. */
  private async inTurn<T>(record: AddressRecord, work: () => Promise<T>): Promise<T> {
    record.waiting++;
    const previous = record.tail;
    let done!: () => void;
    record.tail = new Promise((resolve) => (done = resolve));
    try {
      await previous;
      return await work();
    } finally {
      record.waiting--;
      done();
    }
  }

  private async failed(address: string, record: AddressRecord): Promise<void> {
    const delay = this.delayFor(address);
    record.failures++;
    record.last = this.now();
    // Most recently failed last, so the first entry is the one to forget when full.
    this.byAddress.delete(address);
    this.byAddress.set(address, record);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  /** The record of `address` if it failed within FORGET_MS (older ones are dropped on the way). */
  private recent(address: string): AddressRecord | undefined {
    const record = this.byAddress.get(address);
    if (record && record.waiting === 0 && this.now() - record.last > FORGET_MS) {
      this.byAddress.delete(address);
      return undefined;
    }
    return record;
  }

  private remember(address: string): AddressRecord {
    const existing = this.byAddress.get(address);
    if (existing) return existing;
    if (this.byAddress.size >= MAX_ADDRESSES) this.evict();
    const record: AddressRecord = { failures: 0, last: this.now(), tail: Promise.resolve(), waiting: 0 };
    this.byAddress.set(address, record);
    return record;
  }

  /** Forgets the least recently failed address that has no attempt waiting. */
  private evict(): void {
    for (const [address, record] of this.byAddress) {
      if (record.waiting === 0) {
        this.byAddress.delete(address);
        return;
      }
    }
  }
}
