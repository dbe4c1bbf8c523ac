/**
 * Rendering without a browser: Vega-Lite → Vega → SVG string (vega's headless view), SVG → PNG with
 * resvg. resvg knows no system fonts unless told: it gets DejaVu (Debian fonts-dejavu-core) as the
 * default and sans-serif family, which is what vega's text asks for.
 */
import { existsSync } from "node:fs";
import type { ResvgRenderOptions } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";

// vega, vega-lite and resvg load on the first render, not with this module: every `brokerbench run`
// imports the reports to write them at the end, and these three cost more start time and heap
// (tens of MB the run's garbage collector then walks) than the whole run path.
let vegaModules: Promise<[typeof import("vega"), typeof import("vega-lite")]> | null = null;
let resvgModule: Promise<typeof import("@resvg/resvg-js")> | null = null;

export const FONT_DIR = "/usr/share/fonts/truetype/dejavu";
export const FONT_FAMILY = "DejaVu Sans";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  vegaModules ??= Promise.all([import("vega"), import("vega-lite")]);
  const [{ parse, View }, { compile }] = await vegaModules;
  const vgSpec = compile(spec).spec;
  const view = new View(parse(vgSpec), { renderer: "none", logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function fontOptions(): ResvgRenderOptions["font"] {
  if (existsSync(`${FONT_DIR}/DejaVuSans.ttf`)) {
    // Only the two faces vega uses: scanning the whole directory costs more than the render.
    return {
      fontFiles: [`${FONT_DIR}/DejaVuSans.ttf`, `${FONT_DIR}/DejaVuSans-Bold.ttf`],
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    };
  }
  // Without DejaVu, try whatever the system has; text is missing from the PNG if it has none.
  return { loadSystemFonts: true, defaultFontFamily: FONT_FAMILY };
}

/** True when PNG text will be drawn with DejaVu (fonts-dejavu-core installed). */
export function pngFontsAvailable(): boolean {
  return existsSync(`${FONT_DIR}/DejaVuSans.ttf`);
}

/** PNG at `scale` × the SVG's size (2: sharp on high-density screens and in issues). */
export async function renderPng(svg: string, scale = 2): Promise<Buffer> {
  resvgModule ??= import("@resvg/resvg-js");
  const { Resvg } = await resvgModule;
  const resvg = new Resvg(svg, {
    font: fontOptions(),
    fitTo: { mode: "zoom", value: scale },
    background: "white",
  });
  return resvg.render().asPng();
}

/**
 * Makes a vega SVG safe to inline beside others in one HTML page: vega numbers its clip paths
 * from 1 in every SVG (`clip1`), and in one document the first `id` wins, so each chart's ids get
 * its own prefix. Only tag markup is touched, never text.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg.replace(/<[^>]*>/g, (tag) =>
    tag
      .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
      .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
      .replace(/\bhref="#([^"]+)"/g, `href="#${prefix}-$1"`),
  );
}
