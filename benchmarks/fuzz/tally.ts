/** Counts of one fuzz run: frames, outcomes per mutation operator, ERROR titles, and violations. */

/** How a frame (or a connection before CONNECT) ended up, as seen by the client that sent it. */
export type Outcome =
  /** the probe after it got its RECEIPT: the frame was valid, or ignored */
  | 'accepted'
  /** ERROR, then the connection closed */
  | 'rejected'
  /** closed without ERROR (it became a DISCONNECT, or the session went away) */
  | 'closed'
  /** no answer: the broker waited for the rest, then ended the connection at the heart-beat deadline */
  | 'stalled-then-heartbeat-timeout'
  /** no answer before CONNECT: the broker ended the connection at the CONNECT deadline */
  | 'connect-timeout'
  /** before CONNECT: the mutated frame still connected */
  | 'connected'
  /** no answer, and the session had promised no deadline (no client heart-beats): closed by us */
  | 'left-open';

/** A broken promise of the broker, with what is needed to reproduce it. */
export interface Violation {
  kind: string;
  detail: string;
  operator?: string;
  version?: string;
  /** The bytes sent on that connection after CONNECTED (or all of them before it), base64, capped. */
  bytes?: string;
}

const MAX_KEPT_VIOLATIONS = 50;
const MAX_BYTES_KEPT = 8192;

/** Running totals, shared by every fuzz connection of a run. */
export class Tally {
  validFrames = 0;
  mutatedFrames = 0;
  probes = 0;
  bytesSent = 0;
  connections = 0;
  preConnectConnections = 0;
  readonly outcomes: Record<string, number> = {};
  /** Called with each violation as it happens (the driver prints it). */
  onViolation: ((v: Violation) => void) | null = null;
  readonly byOperator: Record<string, Record<string, number>> = {};
  readonly errorTitles: Record<string, number> = {};
  readonly violationsByKind: Record<string, number> = {};
  readonly violations: Violation[] = [];
  /** Connection time by phase, ms summed over connections: where a run's wall time goes. */
  readonly phaseMs: Record<string, number> = {};

  /** The slowest probe answer among the last ones (decays by 1 % per answer). */
  slowProbeMs = 0;

  /** Notes how long a probe took to be answered. */
  probeAnswered(ms: number): void {
    this.slowProbeMs = Math.max(ms, this.slowProbeMs * 0.99);
  }

  /** Adds `ms` to a phase's total. */
  time(phase: string, ms: number): void {
    this.phaseMs[phase] = (this.phaseMs[phase] ?? 0) + ms;
  }

  /** Fuzz frames sent so far (valid and mutated; probes not counted). */
  get frames(): number {
    return this.validFrames + this.mutatedFrames;
  }

  /** Records the outcome of one mutated frame (or pre-CONNECT attempt) made by `operator`. */
  outcome(operator: string, outcome: Outcome): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    const per = (this.byOperator[operator] ??= {});
    per[outcome] = (per[outcome] ?? 0) + 1;
  }

  /** Counts an ERROR frame by its `message` header. */
  error(title: string | undefined): void {
    const key = (title ?? '(no message header)').slice(0, 80);
    this.errorTitles[key] = (this.errorTitles[key] ?? 0) + 1;
  }

  /** Records a violation; the first ones are kept whole, the rest counted. */
  violation(v: Violation, bytes?: Buffer): void {
    this.violationsByKind[v.kind] = (this.violationsByKind[v.kind] ?? 0) + 1;
    if (this.onViolation) this.onViolation(v);
    if (this.violations.length >= MAX_KEPT_VIOLATIONS) return;
    if (bytes) v.bytes = bytes.subarray(Math.max(0, bytes.length - MAX_BYTES_KEPT)).toString('base64');
    this.violations.push(v);
  }

  /** Number of violations recorded (kept or only counted). */
  get violationCount(): number {
    return Object.values(this.violationsByKind).reduce((a, b) => a + b, 0);
  }
}
