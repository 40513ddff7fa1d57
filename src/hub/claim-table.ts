/**
 * ClaimTable: one semaphore per offered queue message. A claim has one unit and a set of offerees
 * still to answer; the first claim takes the unit, later claims are refused, and the last answer frees
 * the entry. The hub is single-threaded, so each step is atomic, as a kernel semaphore is between
 * forked processes.
 */

/** One open claim: the message offered and who has yet to answer. */
export interface Claim<M, O> {
  id: number;
  message: M;
  /** Offerees that have not answered yet. */
  waiting: Set<O>;
  /** The offeree whose claim won, or null while nobody has claimed. */
  winner: O | null;
  /** How many it was offered to. */
  offerees: number;
}

/** What answering an offer did: whether this offeree won, and whether the claim is now closed. */
export interface ClaimOutcome<M, O> {
  granted: boolean;
  /** Set when this answer was the last one: the claim is freed. */
  closed: Claim<M, O> | null;
}

/** The table of open claims, keyed by offer id. */
export class ClaimTable<M, O> {
  private readonly claims = new Map<number, Claim<M, O>>();
  private nextId = 1;

  /** Opens a claim for `message` offered to `offerees`; returns its offer id. */
  open(message: M, offerees: Iterable<O>): number {
    const id = this.nextId++;
    const waiting = new Set(offerees);
    this.claims.set(id, { id, message, waiting, winner: null, offerees: waiting.size });
    return id;
  }

  /** `offeree` asks for the unit: granted if it is the first. Unknown claims/offerees are refused. */
  claim(id: number, offeree: O): ClaimOutcome<M, O> {
    return this.answer(id, offeree, true);
  }

  /** `offeree` declines (or is gone). */
  pass(id: number, offeree: O): ClaimOutcome<M, O> {
    return this.answer(id, offeree, false);
  }

  /** Number of open claims. */
  get size(): number {
    return this.claims.size;
  }

  /** The open claim `id`, if any. */
  get(id: number): Claim<M, O> | undefined {
    return this.claims.get(id);
  }

  private answer(id: number, offeree: O, wants: boolean): ClaimOutcome<M, O> {
    const claim = this.claims.get(id);
    if (!claim || !claim.waiting.delete(offeree)) return { granted: false, closed: null };
    const granted = wants && claim.winner === null;
    if (granted) claim.winner = offeree;
    if (claim.waiting.size > 0) return { granted, closed: null };
    this.claims.delete(id);
    return { granted, closed: claim };
  }
}
