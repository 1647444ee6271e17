/**
 * `render`: the stand-in for image generation. A Mandelbrot set, computed row by row (one progress point
 * per row band) and encoded as a PNG by pngjs. Deterministic: the colour of a pixel depends only on its
 * integer escape count (no Math.log, whose last bits may change between V8 versions), and the encoder's
 * settings are fixed, so the same input gives the same bytes.
 */
import { createHash } from "node:crypto";
import { PNG } from "pngjs";
import type { JobKind } from "./kind";

export const RENDER_MAX_SIDE = 8192;
export const RENDER_MAX_ITERATIONS = 10_000;
export const RENDER_DEFAULT_ITERATIONS = 500;
/** Past about 1e13 doubles no longer tell neighbouring pixels apart: the picture turns to blocks. */
export const RENDER_MAX_ZOOM = 1e13;

/** The default view: the whole set, centred, 3 units across the shorter side. */
const DEFAULT_VIEW = { centerX: -0.75, centerY: 0, zoom: 1 } as const;
const VIEW_SPAN = 3;

/** Progress points per image. */
const BANDS = 100;

/** Measured on the 2-core dev machine: about 1.5e8 iterations a second on one core. */
const ITERATIONS_PER_S = 1.5e8;

/**
 * Bytes a render holds at its peak, per pixel: the RGB pixels (3), pngjs's filtered copy of them while it
 * encodes (3, plus a filter byte per row), and the compressed image with its copies into the IDAT chunk
 * and the final file (at most 2: a Mandelbrot compresses several-fold at deflateLevel 6; measured in
 * docs/security.md). The worker's memory gate reserves this before a render starts.
 */
export const RENDER_BYTES_PER_PIXEL = 8;

export function renderBytes(width: number, height: number): number {
  return width * height * RENDER_BYTES_PER_PIXEL;
}

export interface RenderInput {
  width: number;
  height: number;
  maxIterations?: number;
  view?: { centerX?: number; centerY?: number; zoom?: number };
}

export const renderKind: JobKind<RenderInput> = {
  name: "render",
  description:
    `{"width","height": 1..${RENDER_MAX_SIDE}, "maxIterations"?: 1..${RENDER_MAX_ITERATIONS}, ` +
    `"view"?: {"centerX","centerY","zoom"}} → a PNG: {"url","bytes","width","height","sha256"}`,
  inputSchema: {
    type: "object",
    properties: {
      width: { type: "integer", minimum: 1, maximum: RENDER_MAX_SIDE },
      height: { type: "integer", minimum: 1, maximum: RENDER_MAX_SIDE },
      maxIterations: { type: "integer", minimum: 1, maximum: RENDER_MAX_ITERATIONS },
      view: {
        type: "object",
        properties: {
          centerX: { type: "number", minimum: -4, maximum: 4 },
          centerY: { type: "number", minimum: -4, maximum: 4 },
          zoom: { type: "number", exclusiveMinimum: 0, maximum: RENDER_MAX_ZOOM },
        },
        propertyNames: { enum: ["centerX", "centerY", "zoom"] },
      },
    },
    required: ["width", "height"],
    propertyNames: { enum: ["width", "height", "maxIterations", "view"] },
  },
  // In the set every pixel runs all its iterations; outside, far fewer. Half is a fair middle.
  estimateSeconds: (input) =>
    (input.width * input.height * (input.maxIterations ?? RENDER_DEFAULT_ITERATIONS)) / 2 / ITERATIONS_PER_S,
  describeLimit: (maxSeconds) =>
    `body/input: width × height × maxIterations (default ${RENDER_DEFAULT_ITERATIONS}) must be at most ` +
    `${Math.floor(maxSeconds * 2 * ITERATIONS_PER_S)}`,
  memoryBytes: (input) => renderBytes(input.width, input.height),
  run(input, { progress }) {
    const { width, height } = input;
    const png = renderPng(input, (rows) => progress(rows / height));
    const body = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 6 });
    return {
      result: { bytes: body.length, width, height, sha256: createHash("sha256").update(body).digest("hex") },
      artifact: { body, contentType: "image/png", extension: "png" },
    };
  },
};

/** The escape count of every pixel, coloured; calls `rowsDone` after each band of rows. */
export function renderPng(input: RenderInput, rowsDone: (rows: number) => void): PNG {
  const { width, height } = input;
  const maxIterations = input.maxIterations ?? RENDER_DEFAULT_ITERATIONS;
  const centerX = input.view?.centerX ?? DEFAULT_VIEW.centerX;
  const centerY = input.view?.centerY ?? DEFAULT_VIEW.centerY;
  const zoom = input.view?.zoom ?? DEFAULT_VIEW.zoom;
  const step = VIEW_SPAN / zoom / Math.min(width, height);
  // RGB, 3 bytes a pixel: an 8192² image needs 200 MB here instead of 270 MB as RGBA. The one image
  // buffer: given a width and height, pngjs's constructor would allocate (and zero) another 4 bytes a
  // pixel that this render never uses, so the size is set after construction.
  const png = new PNG({ colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.width = width;
  png.height = height;
  const data = Buffer.alloc(width * height * 3);
  const band = Math.max(1, Math.ceil(height / BANDS));
  for (let y = 0; y < height; y++) {
    const ci = centerY + (height / 2 - y - 0.5) * step;
    for (let x = 0; x < width; x++) {
      const cr = centerX + (x + 0.5 - width / 2) * step;
      let zr = 0;
      let zi = 0;
      let i = 0;
      while (i < maxIterations && zr * zr + zi * zi <= 4) {
        const t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        i++;
      }
      const at = (y * width + x) * 3;
      if (i < maxIterations) {
        // A fixed palette that cycles with the escape count: bands of colour, no floating-point rounding.
        data[at] = (i * 9) & 0xff;
        data[at + 1] = (i * 5 + 40) & 0xff;
        data[at + 2] = (i * 13 + 90) & 0xff;
      }
    }
    if ((y + 1) % band === 0 || y + 1 === height) rowsDone(y + 1);
  }
  png.data = data;
  return png;
}
