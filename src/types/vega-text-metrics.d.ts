/**
 * vega exports `textMetrics` (from vega-scenegraph) at runtime, but its type declarations leave
 * it out. Its `width` may be replaced to measure text without a canvas (as vl-convert does).
 */
export {};

declare module 'vega' {
  export const textMetrics: {
    width: (item: unknown, text: unknown) => number;
    height: (item: unknown) => number;
  };
}
