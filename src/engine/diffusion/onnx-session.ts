// onnxruntime sessions for model files: created once, shared, released after idle time,
// and wrapped so that every input is converted to the dtype and rank the graph declares
// and every output comes back as float32. Time spent inside `run` is counted, so the
// benchmark can tell how much of a generation is onnxruntime and how much is our glue.

import { stat } from 'node:fs/promises';
import { sep } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DarkroomError } from '../../domain/errors.js';
import { sessionPlacement, type OnnxDevice } from '../device.js';
import { decodeHalf, encodeHalf } from './fp16.js';

export interface OnnxTime {
  runs: number;
  ms: number;
}

export type InputValue =
  | { kind: 'float'; data: Float32Array; dims: number[] }
  | { kind: 'int'; data: number[]; dims: number[] };

export interface InputSpec {
  type: ort.Tensor.Type;
  /** Declared shape; [] for a scalar (onnxruntime also reports [] when the shape is unknown). */
  shape: ReadonlyArray<number | string>;
}

export class OnnxModel {
  readonly inputs: ReadonlyMap<string, InputSpec>;
  readonly outputNames: readonly string[];
  /** This graph's share of the pool's time (the benchmark splits a generation by part). */
  readonly time: OnnxTime = { runs: 0, ms: 0 };

  constructor(
    readonly path: string,
    private readonly session: ort.InferenceSession,
    private readonly poolTime: OnnxTime,
  ) {
    const inputs = new Map<string, InputSpec>();
    for (const meta of session.inputMetadata) {
      if (meta.isTensor) inputs.set(meta.name, { type: meta.type, shape: meta.shape });
    }
    this.inputs = inputs;
    this.outputNames = session.outputNames;
  }

  input(name: string): InputSpec {
    const spec = this.inputs.get(name);
    if (!spec) throw new DarkroomError('model_invalid', `${this.path} has no input "${name}" (it has ${[...this.inputs.keys()].join(', ')})`);
    return spec;
  }

  /** Runs the graph; outputs (all, or the ones named) come back as float32 with their dims. */
  async run(feeds: Record<string, InputValue>, outputs?: readonly string[]): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, value] of Object.entries(feeds)) tensors[name] = toTensor(this.input(name), value);
    const began = performance.now();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = outputs ? await this.session.run(tensors, [...outputs]) : await this.session.run(tensors);
    } catch (error) {
      throw runFailure(this.path, error);
    } finally {
      const ms = performance.now() - began;
      for (const time of [this.time, this.poolTime]) {
        time.ms += ms;
        time.runs += 1;
      }
    }
    const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = { data: toFloat32(tensor), dims: tensor.dims };
      tensor.dispose();
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * What a failed run tells a user: running out of memory as such (onnxruntime's arena says
 * "Failed to allocate memory for requested buffer of size N"), anything else as the model's
 * fault, naming the model part rather than the server's path.
 */
export function runFailure(path: string, error: unknown): DarkroomError {
  const message = (error as Error).message ?? String(error);
  const part = path.split(/[\\/]/).slice(-2, -1)[0] ?? 'model';
  const asked = /Failed to allocate memory for requested buffer of size (\d+)|bad_alloc/.exec(message);
  if (asked) {
    const size = asked[1] ? ` (it asked for ${(Number(asked[1]) / 1024 ** 3).toFixed(1)} GB at once)` : '';
    return new DarkroomError('out_of_memory', `The ${part} ran out of memory${size}; try a smaller size or fewer images.`, { cause: error });
  }
  return new DarkroomError('model_invalid', `Running the ${part} failed: ${message.split('\n')[0]!.replace(/\S*\/\S+/g, '…')}`, { cause: error });
}

function toTensor(spec: InputSpec, value: InputValue): ort.Tensor {
  // A scalar input (rank 0) takes the first element; diffusers' UNets broadcast it over the batch.
  const dims = spec.shape.length === 0 ? [] : value.dims;
  const count = dims.reduce((a, b) => a * b, 1);
  const source = value.data.length === count ? value.data : Array.from({ length: count }, (_, i) => value.data[i % value.data.length]!);
  switch (spec.type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(source), dims);
    case 'float16':
      return new ort.Tensor('float16', encodeHalf(source), dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(source), dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(source, (v) => Math.trunc(v)), dims);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(source, (v) => BigInt(Math.trunc(v)))), dims);
    default:
      throw new DarkroomError('model_invalid', `Unsupported input dtype ${spec.type}`);
  }
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  switch (tensor.type) {
    case 'float32':
      return tensor.data as Float32Array;
    case 'float16':
      return decodeHalf(tensor.data as Uint16Array);
    case 'float64':
      return Float32Array.from(tensor.data as Float64Array);
    default:
      throw new DarkroomError('model_invalid', `Unsupported output dtype ${tensor.type}`);
  }
}

export interface SessionPoolOptions {
  /** Release a model's session after this long unused (default 10 minutes). */
  idleMs?: number;
  /** Where sessions run and how many threads each uses (default: the CPU, onnxruntime's thread count). */
  device?: OnnxDevice;
}

/** Creates sessions on first use, shares them, and releases idle ones. */
export class SessionPool {
  readonly time: OnnxTime = { runs: 0, ms: 0 };
  private readonly models = new Map<string, { model: Promise<OnnxModel>; timer?: NodeJS.Timeout }>();

  constructor(private readonly options: SessionPoolOptions = {}) {}

  async get(path: string): Promise<OnnxModel> {
    let entry = this.models.get(path);
    if (!entry) {
      entry = { model: this.create(path) };
      this.models.set(path, entry);
      entry.model.catch(() => this.models.delete(path));
    }
    this.touch(path, entry);
    return entry.model;
  }

  private async create(path: string): Promise<OnnxModel> {
    await stat(path).catch((error: unknown) => {
      throw new DarkroomError('model_invalid', `The model file ${path} is missing`, { cause: error });
    });
    try {
      const session = await ort.InferenceSession.create(path, {
        ...sessionPlacement(this.options.device),
        graphOptimizationLevel: 'all',
      });
      return new OnnxModel(path, session, this.time);
    } catch (error) {
      throw new DarkroomError('model_invalid', `${path} is not a loadable ONNX model: ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
      });
    }
  }

  private touch(path: string, entry: { model: Promise<OnnxModel>; timer?: NodeJS.Timeout }) {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void this.evict(path), this.options.idleMs ?? 600_000);
    entry.timer.unref();
  }

  private async evict(path: string) {
    const entry = this.models.get(path);
    if (!entry) return;
    this.models.delete(path);
    await (await entry.model).release();
  }

  /** Releases one model file's session now, if it is open (a later get opens it again). */
  async release(path: string): Promise<void> {
    await this.evict(path).catch(() => undefined);
  }

  /** Whether a model file's session is open (or opening). */
  isOpen(path: string): boolean {
    return this.models.has(path);
  }

  /** Releases every session (on shutdown), or those of the model in `folder` (when it is removed). */
  async close(folder?: string): Promise<void> {
    // Matched with the separator: closing "…/a--sd" must leave "…/a--sd-turbo" open.
    const inside = folder === undefined ? '' : folder.endsWith(sep) ? folder : folder + sep;
    const paths = [...this.models.keys()].filter((p) => p.startsWith(inside));
    await Promise.all(paths.map((p) => this.evict(p).catch(() => undefined)));
  }
}
