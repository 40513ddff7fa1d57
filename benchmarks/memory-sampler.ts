/**
 * Samples a broker's memory while a run goes on: PSS summed over the process listening on its port
 * and all that process's descendants (ours: the hub and every session), once per interval.
 */
import { treePssAsync } from './proc.js';

/** What the samples say, MiB. */
export interface MemoryReport {
  startMiB: number;
  peakMiB: number;
  endMiB: number;
  /** Most processes counted in one sample (ours: hub + sessions). */
  peakProcesses: number;
  samples: number;
}

const MiB = (kb: number) => Math.round((kb / 1024) * 10) / 10;

/** Samples every `everyMs` from start() until stop(); a null pid yields NaNs (broker not visible). */
export class MemorySampler {
  private values: number[] = [];
  private peakProcesses = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly pid: number | null, private readonly everyMs = 1000) {}

  start(): void {
    if (this.pid === null) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const t = performance.now();
        await this.sample();
        await new Promise((r) => setTimeout(r, Math.max(0, this.everyMs - (performance.now() - t))));
      }
    })();
  }

  /** Stops sampling after one last sample. */
  async stop(): Promise<MemoryReport> {
    this.running = false;
    await this.loop;
    if (this.pid !== null) await this.sample();
    const v = this.values;
    if (v.length === 0) return { startMiB: NaN, peakMiB: NaN, endMiB: NaN, peakProcesses: 0, samples: 0 };
    return { startMiB: MiB(v[0]), peakMiB: MiB(Math.max(...v)), endMiB: MiB(v[v.length - 1]),
      peakProcesses: this.peakProcesses, samples: v.length };
  }

  private async sample(): Promise<void> {
    const { pssKb, processes } = await treePssAsync(this.pid!);
    if (processes === 0) return;
    this.values.push(pssKb);
    this.peakProcesses = Math.max(this.peakProcesses, processes);
  }
}
