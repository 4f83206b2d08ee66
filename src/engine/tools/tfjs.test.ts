// The shared TensorFlow.js runtime: started once however many callers race, on wasm, and a
// model file that cannot be read is a `model_invalid` error naming the model.

import { describe, expect, it } from 'vitest';
import { layersModelFiles, loadLayersModel, tensorflow } from './tfjs.js';

describe('tensorflow', () => {
  it('starts the wasm backend once for concurrent callers', async () => {
    const calls = [tensorflow(), tensorflow(), tensorflow()];
    expect(new Set(calls).size).toBe(1);
    const [tf] = await Promise.all(calls);
    expect(tf!.getBackend()).toBe('wasm');
    expect(await tensorflow()).toBe(tf);
  });

  it('reports an unreadable model as model_invalid', async () => {
    await expect(loadLayersModel(layersModelFiles('/nonexistent/model.json'), 'Some model')).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringMatching(/^Some model could not be loaded: .*ENOENT/),
    });
  });
});
