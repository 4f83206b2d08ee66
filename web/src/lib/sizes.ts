// Image sizes a model can make: its native side and the multiple every side must be, and
// aspect presets of about the native area on that grid.

import type { ModelInfo } from '../api/types';

export interface SizeGrid {
  native: number;
  multiple: number;
}

export interface Aspect {
  id: string;
  label: string;
  /** Width over height. */
  ratio: number;
}

export const ASPECTS: readonly Aspect[] = [
  { id: '1:1', label: 'Square', ratio: 1 },
  { id: '3:2', label: '3:2', ratio: 3 / 2 },
  { id: '2:3', label: '2:3', ratio: 2 / 3 },
  { id: '16:9', label: '16:9', ratio: 16 / 9 },
  { id: '9:16', label: '9:16', ratio: 9 / 16 },
];

/** The built-in model draws 64x64 on a grid of 4; Stable Diffusion exports 512 on a grid of 64. */
export function gridOf(model: Pick<ModelInfo, 'name' | 'native_size' | 'size_multiple'> | undefined): SizeGrid {
  const tiny = model?.name === 'darkroom-tiny';
  return {
    native: model?.native_size ?? (tiny ? 64 : 512),
    multiple: model?.size_multiple ?? (tiny ? 4 : 64),
  };
}

export function snap(value: number, multiple: number): number {
  return Math.max(multiple, Math.round(value / multiple) * multiple);
}

/** The preset of an aspect: about native x native pixels, each side on the model's grid. */
export function presetSize(grid: SizeGrid, aspect: Aspect): { width: number; height: number } {
  const area = grid.native * grid.native;
  return {
    width: snap(Math.sqrt(area * aspect.ratio), grid.multiple),
    height: snap(Math.sqrt(area / aspect.ratio), grid.multiple),
  };
}

/** Which preset a size is, if any. */
export function aspectOf(grid: SizeGrid, width: number, height: number): Aspect | undefined {
  return ASPECTS.find((aspect) => {
    const size = presetSize(grid, aspect);
    return size.width === width && size.height === height;
  });
}

export function fitsGrid(grid: SizeGrid, width: number, height: number): boolean {
  return width % grid.multiple === 0 && height % grid.multiple === 0;
}
