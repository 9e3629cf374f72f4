import * as fs from 'node:fs';

export interface MemoryReading {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size over the process's life (VmHWM), bytes. */
  hwm: number;
}

/** Reads VmRSS and VmHWM of a live process from /proc (Linux). */
export function readMemory(pid: number): MemoryReading {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: field(status, 'VmRSS'), hwm: field(status, 'VmHWM') };
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`/proc status has no ${name}: is this Linux?`);
  return Number(match[1]) * 1024;
}

/** Samples a process's RSS on an interval until stopped; keeps the largest reading. */
export class MemorySampler {
  readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Stops sampling; answers the peak of the samples and of VmHWM. */
  stop(): { peak: number; samples: number } {
    clearInterval(this.timer);
    this.sample();
    const hwm = readMemory(this.pid).hwm;
    return { peak: Math.max(hwm, ...this.samples), samples: this.samples.length };
  }

  private sample(): void {
    try {
      this.samples.push(readMemory(this.pid).rss);
    } catch {
      // The process ended between two samples; the caller sees it fail elsewhere.
    }
  }
}

/** CPU time (user + system) a live process has used so far, in milliseconds (Linux). */
export function readCpuMs(pid: number): number {
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
