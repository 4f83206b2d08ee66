// The studio's few icons, drawn inline as SVG (no icon font, nothing fetched).

const PATHS = {
  dice: 'M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 4.5a1.5 1.5 0 1 0 0 .01zm8 0a1.5 1.5 0 1 0 0 .01zM12 12a1.5 1.5 0 1 0 0 .01zm-4 4.5a1.5 1.5 0 1 0 0 .01zm8 0a1.5 1.5 0 1 0 0 .01z',
  download: 'M12 4v11m0 0-4.5-4.5M12 15l4.5-4.5M5 19h14',
  trash: 'M4 7h16M10 11v6m4-6v6M6 7l1 13h10l1-13M9 7V4h6v3',
  star: 'm12 3.5 2.6 5.3 5.9.9-4.3 4.1 1 5.8-5.2-2.7-5.2 2.7 1-5.8-4.3-4.1 5.9-.9z',
  reuse: 'M4 12a8 8 0 0 1 14-5.3M20 4v4h-4M20 12a8 8 0 0 1-14 5.3M4 20v-4h4',
  brush: 'M14.5 4.5 19.5 9.5 11 18l-5 1 1-5zM13 6l5 5',
  eraser: 'm7 17 9.5-9.5a2 2 0 0 0 0-2.8l-.7-.7a2 2 0 0 0-2.8 0L3.5 13.5a2 2 0 0 0 0 2.8L5 17.8h14M8.5 8.5l7 7',
  undo: 'M9 14 4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3',
  clear: 'M6 6l12 12M18 6 6 18',
  invert: 'M12 3a9 9 0 1 0 0 18zm0 0a9 9 0 0 1 0 18',
  fill: 'M4 4h16v16H4z',
  upload: 'M12 20V9m0 0-4.5 4.5M12 9l4.5 4.5M5 4h14',
  image: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15 9.5a1 1 0 1 0 0 .01',
  stop: 'M7 7h10v10H7z',
  sparkle: 'M12 3v4m0 10v4M3 12h4m10 0h4M6 6l2.5 2.5m7 7L18 18M6 18l2.5-2.5m7-7L18 6',
  clock: 'M12 7v5l3 2M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z',
  check: 'm5 12.5 4.5 4.5L19 7.5',
  external: 'M14 4h6v6M20 4l-9 9M18 14v5H5V6h5',
  upscale: 'M4 14v6h6M20 10V4h-6M4 20l7-7M20 4l-7 7',
  cutout: 'M8 4H4v4M16 4h4v4M8 20H4v-4M16 20h4v-4M9 15l3-7 3 7M10 13h4',
  alert: 'M12 8v5M12 16.5v.01M10.3 3.9 2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  signout: 'M10 4H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h4M15 8l4 4-4 4M19 12H9',
  key: 'M15 14a5 5 0 1 0 0-10 5 5 0 0 0 0 10zM11.5 12.5 4 20m2.5-2.5 2.5 2.5M4 20l1.5 1.5M16.5 8.5v.01',
  copy: 'M9 9h11v11H9zM15 9V4H4v11h5',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4.5 20.5a7.5 7.5 0 0 1 15 0',
  eye: 'M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12zM12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z',
  palette: 'M12 3a9 9 0 1 0 0 18c1.3 0 1.9-1 1.3-2.1-.7-1.3.2-2.9 1.7-2.9H17a4 4 0 0 0 4-4c0-5-4-9-9-9zM7.5 12.5v.01M9 8v.01M14 7.5v.01M17.5 10.5v.01',
  extend: 'M3 7V3h4M17 3h4v4M21 17v4h-4M7 21H3v-4M9 9h6v6H9z',
  blend: 'M15 10a6 6 0 1 1-12 0 6 6 0 0 1 12 0zM21 14a6 6 0 1 1-12 0 6 6 0 0 1 12 0z',
  plus: 'M12 5v14M5 12h14',
  'eye-off': 'M3 3l18 18M10.6 5.1A10 10 0 0 1 12 5c6.4 0 10 7 10 7a17 17 0 0 1-3.2 4M6.6 6.6C3.7 8.4 2 12 2 12s3.6 7 10 7a9.7 9.7 0 0 0 5.4-1.6M9.9 9.9a3 3 0 0 0 4.2 4.2',
} as const;

export type IconName = keyof typeof PATHS;

const FILLED = new Set<IconName>(['dice', 'stop']);

export function Icon({ name, size = 18 }: { name: IconName; size?: number }) {
  const filled = FILLED.has(name);
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      fill={filled ? 'currentColor' : 'none'}
      stroke={filled ? 'none' : 'currentColor'}
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      fillRule="evenodd"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
