/**
 * The chaos: SIGKILL of random session processes (the hub's children, found from /proc, mostly the
 * ones serving our clients), and in --kill-hub mode SIGKILL of the hub itself, restarted at once on
 * the same data directory and port.
 */
import type { BrokerProcess } from '../fuzz/broker-process.js';
import type { Random } from '../fuzz/random.js';

/** What the killer did. */
export interface KillReport {
  sessionKills: number;
  /** Of which, sessions that served one of our clients. */
  clientSessionKills: number;
  hubKills: number;
  hubRestarts: number;
  /** Longest time from a hub kill to the new hub listening, ms. */
  maxRestartMs: number;
  /** Hub exits nobody asked for. */
  unexpectedHubExits: number;
}

/** Kill intervals, ms: [min, max] for sessions, and for the hub in --kill-hub mode. */
export interface KillPlan {
  sessionEveryMs: [number, number];
  hubEveryMs: [number, number] | null;
}

/** Kills until stopped. */
export class Killer {
  readonly report: KillReport = {
    sessionKills: 0, clientSessionKills: 0, hubKills: 0, hubRestarts: 0, maxRestartMs: 0, unexpectedHubExits: 0,
  };
  private stopped = false;
  private loops: Promise<void>[] = [];
  private restarting: Promise<void> | null = null;
  /** Set while the hub loop kills the hub on purpose, so that its exit is not taken for a crash. */
  private killingHub = false;

  constructor(
    private readonly broker: BrokerProcess,
    private readonly clientPids: Set<number>,
    private readonly rnd: Random,
    private readonly plan: KillPlan,
  ) {}

  /** Starts the kill loops. */
  start(): void {
    this.loops = [this.sessionLoop()];
    if (this.plan.hubEveryMs) this.loops.push(this.hubLoop(this.plan.hubEveryMs));
  }

  /** Stops killing; resolves once the last restart (if any) is done and the hub runs. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await this.restarting;
  }

  /** Waits a random time in [min, max] ms, or less when stopped meanwhile. */
  private async sleep([min, max]: [number, number]): Promise<void> {
    const until = Date.now() + this.rnd.int(min, max);
    while (!this.stopped && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
    }
  }

  private async sessionLoop(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.plan.sessionEveryMs);
      if (this.stopped || this.restarting || this.killingHub) continue;
      if (!this.broker.alive) {
        this.report.unexpectedHubExits++;
        await this.restart();
        continue;
      }
      this.killOneSession();
    }
  }

  /** SIGKILLs one child of the hub: 80 % of the time one serving a client, else any. */
  private killOneSession(): void {
    const children = this.broker.sessionPids();
    const serving = children.filter((pid) => this.clientPids.has(pid));
    const pool = serving.length > 0 && this.rnd.chance(0.8) ? serving : children;
    if (pool.length === 0) return;
    const pid = this.rnd.pick(pool);
    try {
      process.kill(pid, 'SIGKILL');
      if (process.env.CHAOS_DEBUG) process.stderr.write(`killed ${pid}${this.clientPids.has(pid) ? ' (client)' : ''}\n`);
      this.report.sessionKills++;
      if (this.clientPids.has(pid)) this.report.clientSessionKills++;
    } catch {
      // it exited meanwhile
    }
  }

  private async hubLoop(every: [number, number]): Promise<void> {
    while (!this.stopped) {
      await this.sleep(every);
      if (this.stopped) return;
      await this.restarting;
      this.killingHub = true;
      await this.broker.kill();
      this.report.hubKills++;
      const restarted = this.restart();
      this.killingHub = false;
      await restarted;
    }
  }

  /** Starts the hub again on the same directory and port; retries until it listens. */
  private async restart(): Promise<void> {
    this.restarting ??= (async () => {
      const t0 = Date.now();
      for (;;) {
        try {
          await this.broker.start();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      this.report.hubRestarts++;
      this.report.maxRestartMs = Math.max(this.report.maxRestartMs, Date.now() - t0);
    })();
    await this.restarting;
    this.restarting = null;
  }
}
