// Where onnxruntime runs: DARKROOM_DEVICE (cpu, cuda or auto) checked against what this
// install of onnxruntime-node can load, and DARKROOM_THREADS, turned into the session
// options every onnxruntime session in Darkroom is created with (the diffusion pipelines'
// SessionPool and the background remover). The check is made once, at start, so a missing
// CUDA provider is a one-line error then rather than a failed job later.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DeviceSetting } from '../config.js';
import { invalidParameter } from '../domain/errors.js';
import { packageDir } from './tools/package-assets.js';

export interface OnnxDevice {
  /** DARKROOM_DEVICE as given. */
  requested: DeviceSetting;
  /** What the sessions run on. */
  active: 'cpu' | 'cuda';
  /** Why `auto` chose the CPU. */
  fallback?: string;
  /** Threads per operator in each session; 0 leaves the choice to onnxruntime (one per core). */
  threads: number;
}

export const CPU_DEVICE: OnnxDevice = { requested: 'cpu', active: 'cpu', threads: 0 };

// The CUDA provider is not in onnxruntime-node's npm package (too large for the registry);
// its install script fetches these libraries from NuGet into the binding's folder.
const CUDA_LIBRARIES: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  win32: ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'],
};

/** Why onnxruntime-node cannot run on CUDA here, or undefined when it can. */
export function cudaProblem(): string | undefined {
  const cuda = ort.listSupportedBackends().find((backend) => backend.name === 'cuda');
  if (!cuda) return `onnxruntime-node has no CUDA build for ${process.platform}/${process.arch}`;
  if (cuda.bundled) return undefined;
  const root = packageDir('onnxruntime-node');
  const bindingDir = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  if ((CUDA_LIBRARIES[process.platform] ?? []).every((file) => existsSync(join(bindingDir, file)))) return undefined;
  const install = `node ${join(root, 'script', 'install.js')} --onnxruntime-node-install=cuda12`;
  return `onnxruntime's CUDA provider is not installed (to install it: ${install}; it needs CUDA 12 and cuDNN 9)`;
}

/**
 * The device the settings ask for, or invalid_parameter when it is `cuda` and cannot be
 * had. `problem` is `cudaProblem`, passed in so a test can stand in for a GPU machine.
 */
export function chooseDevice(requested: DeviceSetting = 'cpu', threads = 0, problem: () => string | undefined = cudaProblem): OnnxDevice {
  if (requested === 'cpu') return { requested, active: 'cpu', threads };
  const missing = problem();
  if (missing === undefined) return { requested, active: 'cuda', threads };
  if (requested === 'cuda') throw invalidParameter(`Cannot use DARKROOM_DEVICE=cuda (--device cuda): ${missing}; use cpu or auto instead`);
  return { requested, active: 'cpu', fallback: missing, threads };
}

/** The placement part of every session's options; CUDA leaves to the CPU what it cannot run. */
export function sessionPlacement(device: OnnxDevice = CPU_DEVICE): Pick<ort.InferenceSession.SessionOptions, 'executionProviders' | 'intraOpNumThreads'> {
  return { executionProviders: device.active === 'cuda' ? ['cuda', 'cpu'] : ['cpu'], intraOpNumThreads: device.threads };
}
