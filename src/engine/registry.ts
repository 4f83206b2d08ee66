// The engines a process can run, and the choice of one for a job.

import { DarkroomError } from '../domain/errors.js';
import type { Config } from '../config.js';
import { ModelCatalog } from '../models/catalog.js';
import { DiffusionEngine } from './diffusion/diffusion-engine.js';
import { SessionPool } from './diffusion/onnx-session.js';
import { chooseDevice } from './device.js';
import { ToolsEngine } from './tools/tools-engine.js';
import { DIFFUSION_OPERATIONS, OPERATIONS, withDefaults, type JobRequest, type JobSpec, type Operation } from '../domain/job.js';
import type { ModelEntry } from '../models/catalog.js';
import type { Engine, EngineJob, EngineResult, JobEstimate, RunContext } from './engine.js';
import type { JobWarning } from '../domain/warning.js';

export class EngineRegistry {
  constructor(
    readonly catalog: ModelCatalog,
    private readonly engines: Engine[],
  ) {}

  /** The engine for a job, and its model (image tools name none). */
  private async engineFor(spec: JobRequest): Promise<{ engine: Engine; model: ModelEntry | undefined }> {
    const model = 'model' in spec ? await this.catalog.resolve(spec.model) : undefined;
    const engine = this.engines.find((e) => e.supports(spec.operation, model));
    if (!engine) throw new DarkroomError('unsupported_operation', `${model?.name ?? 'No engine here'} cannot do ${spec.operation}`);
    return { engine, model };
  }

  /** The engine's facts about a model for clients; empty when it has none to tell. */
  async describe(model: ModelEntry): Promise<Record<string, unknown>> {
    const engine = this.engines.find((e) => e.describe && DIFFUSION_OPERATIONS.some((op) => e.supports(op, model)));
    return (await engine?.describe?.(model).catch(() => ({}))) ?? {};
  }

  /** Operations that need no model (the image tools) this process can run. */
  tools(): Operation[] {
    return OPERATIONS.filter((operation) => this.engines.some((e) => e.supports(operation, undefined)));
  }

  /**
   * The job as it will run (what the request leaves out taken from the model's
   * recommendations, then Darkroom's), after everything that can be known about its
   * feasibility without running it; with warnings for the caller.
   */
  async check(request: JobRequest): Promise<{ spec: JobSpec; warnings: JobWarning[]; estimate?: JobEstimate }> {
    const { engine, model } = await this.engineFor(request);
    const spec = withDefaults(request, model ? await engine.defaults?.(model) : undefined);
    const estimate = (await engine.check(spec, model)) ?? undefined;
    return { spec, warnings: (await engine.advise?.(spec, model)) ?? [], ...(estimate ? { estimate } : {}) };
  }

  async run(job: EngineJob, context: RunContext): Promise<EngineResult> {
    const { engine } = await this.engineFor(job.spec);
    return engine.run(job, context);
  }
}

/** What the engines need of the configuration; without `device` and `threads`, the CPU at onnxruntime's thread count; without `memoryBudget`, no budget (the size limit holds). */
export type EngineConfig = Pick<Config, 'builtInModelsDir' | 'modelsDir' | 'maxPixels'> & Partial<Pick<Config, 'device' | 'threads' | 'memoryBudget'>>;

/**
 * The local engines: diffusion (sharing one set of onnxruntime sessions) and the image
 * tools, on the configured device (a `cuda` that cannot be had throws here, at start).
 */
export function localEngines(config: EngineConfig) {
  const device = chooseDevice(config.device, config.threads);
  const catalog = new ModelCatalog(config);
  const sessions = new SessionPool({ device });
  const tools = new ToolsEngine(config.maxPixels, { device });
  const diffusion = new DiffusionEngine(catalog, sessions, config.memoryBudget, (image, options) => tools.upscale(image, options));
  return { catalog, sessions, device, registry: new EngineRegistry(catalog, [diffusion, tools]) };
}
