// Paint the area to repaint on top of the source image: brush and eraser, brush size,
// undo, clear, fill and invert. The mask is kept at a working resolution of the image's
// shape (512 to 1024 on the long side) and exported as a black-and-white PNG, white
// repainting, which the server resizes to the generated size.

import { useCallback, useEffect, useId, useImperativeHandle, useRef, useState, type KeyboardEvent, type PointerEvent, type Ref } from 'react';
import { useLatest } from '../hooks/use-stored-state';
import { Icon } from './Icon';

export interface MaskPainterHandle {
  /** The mask as PNG: white repaints, black keeps. */
  toBlob(): Promise<Blob>;
  hasPaint(): boolean;
}

interface Props {
  image: { url: string; width: number; height: number };
  /** Off: the mask is hidden and the canvas does not take strokes (img2img). */
  painting: boolean;
  brushSize: number;
  onBrushSize: (size: number) => void;
  onPaintChange: (hasPaint: boolean) => void;
  ref?: Ref<MaskPainterHandle>;
}

const MASK_RGB = [255, 72, 120] as const;
const MASK_COLOR = `rgb(${MASK_RGB.join(',')})`;
const MAX_UNDO = 30;
export const BRUSH_MIN = 4;
export const BRUSH_MAX = 160;

function workingSize(width: number, height: number) {
  const long = Math.max(width, height);
  const k = long < 512 ? 512 / long : long > 1024 ? 1024 / long : 1;
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

export function MaskPainter({ image, painting, brushSize, onBrushSize, onPaintChange, ref }: Props) {
  const id = useId();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const cursorRef = useRef<HTMLDivElement>(null);
  const undoStack = useRef<ImageData[]>([]);
  const last = useRef<{ x: number; y: number } | null>(null);
  const [tool, setTool] = useState<'brush' | 'eraser'>('brush');
  const [undoCount, setUndoCount] = useState(0);
  const [painted, setPainted] = useState(false);
  const size = workingSize(image.width, image.height);
  const paintChange = useLatest(onPaintChange);

  const context = () => canvasRef.current?.getContext('2d', { willReadFrequently: true }) ?? null;

  const measure = useCallback(() => {
    const ctx = context();
    if (!ctx) return false;
    const { data } = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) return true;
    return false;
  }, []);

  const changed = useCallback(() => {
    const has = measure();
    setPainted(has);
    paintChange(has);
  }, [measure, paintChange]);

  // A new image starts with an empty mask and no history.
  useEffect(() => {
    undoStack.current = [];
    setUndoCount(0);
    context()?.clearRect(0, 0, size.width, size.height);
    setPainted(false);
    paintChange(false);
  }, [image.url, size.width, size.height, paintChange]);

  useImperativeHandle(
    ref,
    () => ({
      hasPaint: measure,
      toBlob: () =>
        new Promise<Blob>((resolve, reject) => {
          const source = canvasRef.current;
          if (!source) return reject(new Error('The mask is not ready'));
          const white = document.createElement('canvas');
          white.width = source.width;
          white.height = source.height;
          const w = white.getContext('2d')!;
          w.drawImage(source, 0, 0);
          w.globalCompositeOperation = 'source-in';
          w.fillStyle = '#fff';
          w.fillRect(0, 0, white.width, white.height);
          const out = document.createElement('canvas');
          out.width = source.width;
          out.height = source.height;
          const o = out.getContext('2d')!;
          o.fillStyle = '#000';
          o.fillRect(0, 0, out.width, out.height);
          o.drawImage(white, 0, 0);
          out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('Could not encode the mask'))), 'image/png');
        }),
    }),
    [measure],
  );

  const snapshot = () => {
    const ctx = context();
    if (!ctx) return;
    undoStack.current.push(ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height));
    if (undoStack.current.length > MAX_UNDO) undoStack.current.shift();
    setUndoCount(undoStack.current.length);
  };

  const undo = () => {
    const ctx = context();
    const previous = undoStack.current.pop();
    if (!ctx || !previous) return;
    ctx.putImageData(previous, 0, 0);
    setUndoCount(undoStack.current.length);
    changed();
  };

  const clear = () => {
    const ctx = context();
    if (!ctx || !painted) return;
    snapshot();
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    changed();
  };

  const fill = () => {
    const ctx = context();
    if (!ctx) return;
    snapshot();
    ctx.globalCompositeOperation = 'source-over';
    ctx.fillStyle = MASK_COLOR;
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    changed();
  };

  const invert = () => {
    const ctx = context();
    if (!ctx) return;
    snapshot();
    const pixels = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height);
    const d = pixels.data;
    for (let i = 0; i < d.length; i += 4) {
      d[i] = MASK_RGB[0];
      d[i + 1] = MASK_RGB[1];
      d[i + 2] = MASK_RGB[2];
      d[i + 3] = 255 - d[i + 3]!;
    }
    ctx.putImageData(pixels, 0, 0);
    changed();
  };

  /** Canvas pixels per CSS pixel, and the point under the pointer in canvas pixels. */
  const locate = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const scale = event.currentTarget.width / rect.width;
    return { scale, x: (event.clientX - rect.left) * scale, y: (event.clientY - rect.top) * scale, cssX: event.clientX - rect.left, cssY: event.clientY - rect.top };
  };

  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }, scale: number) => {
    const ctx = context();
    if (!ctx) return;
    ctx.globalCompositeOperation = tool === 'eraser' ? 'destination-out' : 'source-over';
    ctx.strokeStyle = MASK_COLOR;
    ctx.fillStyle = MASK_COLOR;
    ctx.lineWidth = brushSize * scale;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (from.x === to.x && from.y === to.y) {
      ctx.arc(to.x, to.y, (brushSize * scale) / 2, 0, Math.PI * 2);
      ctx.fill();
    } else {
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }
  };

  const moveCursor = (x: number, y: number, visible: boolean) => {
    const cursor = cursorRef.current;
    if (!cursor) return;
    cursor.hidden = !visible;
    cursor.style.width = cursor.style.height = `${brushSize}px`;
    cursor.style.transform = `translate(${x - brushSize / 2}px, ${y - brushSize / 2}px)`;
  };

  const onPointerDown = (event: PointerEvent<HTMLCanvasElement>) => {
    if (!painting || event.button !== 0) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    snapshot();
    const p = locate(event);
    last.current = p;
    stroke(p, p, p.scale);
  };
  const onPointerMove = (event: PointerEvent<HTMLCanvasElement>) => {
    const p = locate(event);
    moveCursor(p.cssX, p.cssY, painting && event.pointerType !== 'touch');
    if (!last.current) return;
    stroke(last.current, p, p.scale);
    last.current = p;
  };
  const onPointerUp = () => {
    if (!last.current) return;
    last.current = null;
    changed();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!painting) return;
    const target = event.target as HTMLElement;
    if (target.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'range') return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      undo();
    } else if (event.key === '[' || event.key === ']') {
      event.preventDefault();
      const next = Math.round(brushSize * (event.key === ']' ? 1.25 : 0.8));
      onBrushSize(Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, next)));
    }
  };

  const aspect = image.width / image.height;
  return (
    <div className="painter" onKeyDown={onKeyDown}>
      <div className="painter-stage" style={{ width: `min(100%, calc(64vh * ${aspect.toFixed(4)}))`, aspectRatio: `${image.width} / ${image.height}` }}>
        <img src={image.url} alt="The source image" className={Math.max(image.width, image.height) < 256 ? 'pixelated' : undefined} draggable={false} />
        <canvas
          ref={canvasRef}
          width={size.width}
          height={size.height}
          className={painting ? 'mask-canvas painting' : 'mask-canvas'}
          hidden={!painting}
          aria-label="Mask: paint over the area to repaint"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => moveCursor(0, 0, false)}
        />
        <div ref={cursorRef} className="brush-cursor" hidden aria-hidden="true" />
      </div>
      {painting ? (
        <div className="painter-tools" role="toolbar" aria-label="Mask tools">
          <div className="segmented" role="radiogroup" aria-label="Tool">
            <button type="button" role="radio" aria-checked={tool === 'brush'} className="segment" onClick={() => setTool('brush')}>
              <Icon name="brush" size={16} /> Brush
            </button>
            <button type="button" role="radio" aria-checked={tool === 'eraser'} className="segment" onClick={() => setTool('eraser')}>
              <Icon name="eraser" size={16} /> Eraser
            </button>
          </div>
          <div className="brush-size">
            <label htmlFor={`${id}-brush`}>Brush size</label>
            <input
              id={`${id}-brush`}
              type="range"
              className="range"
              min={BRUSH_MIN}
              max={BRUSH_MAX}
              step={1}
              value={brushSize}
              onChange={(event) => onBrushSize(Number(event.target.value))}
            />
            <output htmlFor={`${id}-brush`} className="brush-value">
              {brushSize}px
            </output>
          </div>
          <div className="button-row painter-actions">
            <button type="button" className="button button-small" onClick={undo} disabled={undoCount === 0} title="Undo (Ctrl+Z)">
              <Icon name="undo" size={16} /> Undo
            </button>
            <button type="button" className="button button-small" onClick={clear} disabled={!painted}>
              <Icon name="clear" size={16} /> Clear
            </button>
            <button type="button" className="button button-small" onClick={invert} title="Swap painted and unpainted areas">
              <Icon name="invert" size={16} /> Invert
            </button>
            <button type="button" className="button button-small" onClick={fill} title="Mask the whole image">
              <Icon name="fill" size={16} /> Fill
            </button>
          </div>
          <p className="hint">
            Paint over what should change.
            <span className="keyboard-only">
              {' '}
              <kbd>[</kbd> <kbd>]</kbd> resize the brush, <kbd>Ctrl</kbd>+<kbd>Z</kbd> undoes.
            </span>
          </p>
        </div>
      ) : null}
    </div>
  );
}
