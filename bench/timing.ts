/**
 * Timing helpers. The benchmark machine is shared (2 cores, other jobs running), so every measure records both the
 * wall time and this process's CPU time (user + system): wall time is what a user waits, CPU time is what the work
 * costs and is far less disturbed by other processes. Medians over repeats, after the warm-up runs.
 */
export type Timing = { wallMs: number; cpuMs: number };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function measure(fn: () => unknown, repeat = 1, warmup = 0): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

export async function measureAsync(fn: () => Promise<unknown>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
