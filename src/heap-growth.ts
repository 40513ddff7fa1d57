/**
 * How far a broker process lets V8's old generation grow past what its last full GC left alive.
 *
 * V8 starts marking the old generation as soon as the room left under its limit is smaller than the
 * young generation, and it sizes that limit from the live heap: for a heap as small as a hub's or a
 * session's (15 MB live) the limit sat ~23 MB above it. Messages waiting in a queue live long enough
 * to be promoted, so under load the hub marked and compacted every ~40 ms: 64 KiB bodies, 5,000
 * messages, 30-35 mark-compacts, half the hub's CPU in the collector. Growing by a fixed percentage
 * that leaves ~64 MB of room cut that to 5-6 and the hub's CPU per message by half
 * (benchmarks/results/heap-growth-2026-12-03.md). Large heaps keep V8's own heuristics, so the room
 * never becomes a multiple of a big heap.
 */
import v8 from 'node:v8';

/** Room wanted between the live heap and the next full collection. */
const ROOM_BYTES = 64 * 1024 * 1024;
/** Bounds on the percentage; above HEURISTIC_FROM bytes live, V8 chooses. */
const MAX_PERCENT = 400;
const MIN_PERCENT = 50;
const HEURISTIC_FROM = 128 * 1024 * 1024;
/** How often the hub looks at its live heap again. */
const CHECK_MS = 2_000;

let current = -1;

/** Percentage of growth for a heap with `live` bytes in use (0 = V8's own heuristics). */
export function growingPercentFor(live: number): number {
  if (live >= HEURISTIC_FROM) return 0;
  const percent = Math.ceil((ROOM_BYTES / Math.max(live, 1)) * 100);
  return Math.min(MAX_PERCENT, Math.max(MIN_PERCENT, Math.ceil(percent / 25) * 25));
}

/** Applies the growth for the heap in use now (V8 reads it at the next full collection). */
export function adjustHeapGrowth(): void {
  const percent = growingPercentFor(v8.getHeapStatistics().used_heap_size);
  if (percent === current) return;
  current = percent;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/** Keeps the growth matched to the live heap for as long as the process runs; returns the stopper. */
export function keepHeapGrowthMatched(): () => void {
  adjustHeapGrowth();
  const timer = setInterval(adjustHeapGrowth, CHECK_MS).unref();
  return () => clearInterval(timer);
}
