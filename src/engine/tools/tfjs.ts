// The one TensorFlow.js runtime the image tools share: tfjs-core on the WebAssembly backend
// (SIMD, single-threaded), started once however many callers race to it, and layers models
// loaded from files or bytes that ship inside npm packages, never fetched.
//
//   const tf = await tensorflow();                       // idempotent, concurrency-safe
//   const model = await loadLayersModel(layersModelFiles('/…/model.json'), 'ESRGAN slim x4');
//
// Never @tensorflow/tfjs-node: its install downloads a native binary from outside the npm
// registry. The tfjs-core engine is process-wide, so the backend chosen here is everyone's.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { DarkroomError } from '../../domain/errors.js';

export type Tf = typeof tf;
export type Tfl = typeof tfl;
export type LayersModel = tfl.LayersModel;

let started: Promise<Tf> | undefined;

/** tfjs-core with the wasm backend active; the first call starts it, later calls share it. */
export function tensorflow(): Promise<Tf> {
  started ??= start().catch((error: unknown) => {
    started = undefined;
    throw new DarkroomError('internal', `TensorFlow.js could not start its wasm backend: ${(error as Error).message}`, { cause: error });
  });
  return started;
}

async function start(): Promise<Tf> {
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  try {
    setWasmPaths(`${wasmDir}/`);
  } catch (error) {
    // Another module in this process started the wasm backend first; its paths stand.
    if (!/already initialized/i.test((error as Error).message)) throw error;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  return tf;
}

/** An IOHandler reading a layers model.json and its weight shards from disk. */
export function layersModelFiles(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      const dir = dirname(modelJsonPath);
      const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
      const shards = await Promise.all(json.weightsManifest.flatMap((group) => group.paths).map((path) => readFile(join(dir, path))));
      return { ...artifacts(json), weightSpecs, weightData: shards.map(exactArrayBuffer) };
    },
  };
}

/** An IOHandler over a model.json object and its shard bytes already in memory. */
export function layersModelBytes(json: tf.io.ModelJSON, shards: Uint8Array[]): tf.io.IOHandler {
  return {
    async load() {
      return { ...artifacts(json), weightSpecs: json.weightsManifest.flatMap((group) => group.weights), weightData: shards.map(exactArrayBuffer) };
    },
  };
}

function artifacts(json: tf.io.ModelJSON): tf.io.ModelArtifacts {
  return { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
}

// Node Buffers may be views into a shared pool; tfjs reads whole ArrayBuffers.
function exactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Loads a layers model on the wasm backend; a broken file becomes `model_invalid`. */
export async function loadLayersModel(handler: tf.io.IOHandler, label: string): Promise<LayersModel> {
  await tensorflow();
  try {
    return await tfl.loadLayersModel(handler);
  } catch (error) {
    throw new DarkroomError('model_invalid', `${label} could not be loaded: ${(error as Error).message}`, { cause: error });
  }
}

export { tfl };
