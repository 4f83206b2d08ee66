// Progress bars for long work: drawn on a terminal, silent in pipes and files, so that
// scripts see only results on stdout and errors on stderr.

import cliProgress from 'cli-progress';
import type { CliIo } from './io.js';

export interface ProgressBar {
  update(value: number, total: number, label?: string): void;
  stop(): void;
}

export function progressBar(io: CliIo, unit: 'steps' | 'bytes'): ProgressBar {
  if (!io.stderr.isTTY) return { update() {}, stop() {} };
  const value = unit === 'bytes' ? '{done}/{size}' : '{value}/{total} steps';
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `{label} [{bar}] {percentage}% | ${value} | ETA {eta_formatted}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(current, total, label = '') {
      const payload = { label, done: megabytes(current), size: megabytes(total) };
      if (!started) {
        bar.start(total, current, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(current, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
