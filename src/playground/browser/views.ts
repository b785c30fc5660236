/**
 * The playground's views, drawn from a snapshot: the layer × time heatmap on a canvas (hundreds
 * of cells redrawn 30 times a second), the small charts as SVG with d3's scales and axes.
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleBand, scaleLinear, scaleLog } from 'd3-scale';
import { interpolateViridis } from 'd3-scale-chromatic';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import type { PlaygroundSnapshot } from '../session.js';

type Heatmap = PlaygroundSnapshot['heatmap'];

/** Decades of colour below the largest value; smaller values take the darkest colour. */
const decades = 8;
const margin = { top: 8, right: 12, bottom: 30, left: 58 };
const zeroColour = '#e4e7eb';
const nonFiniteColour = '#c92a2a';

/** log10 of the largest finite positive value, or null when there is none. */
function topDecade(values: readonly number[]): number | null {
  let largest = 0;
  for (const value of values) if (Number.isFinite(value) && value > largest) largest = value;
  return largest > 0 ? Math.log10(largest) : null;
}

function cellGeometry(canvas: HTMLCanvasElement, heatmap: Heatmap): { x0: number; y0: number; width: number; height: number } {
  return {
    x0: margin.left,
    y0: margin.top,
    width: (canvas.width - margin.left - margin.right) / Math.max(1, heatmap.steps),
    height: (canvas.height - margin.top - margin.bottom) / Math.max(1, heatmap.layers),
  };
}

export function drawHeatmap(canvas: HTMLCanvasElement, heatmap: Heatmap): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  context.clearRect(0, 0, canvas.width, canvas.height);
  const { x0, y0, width, height } = cellGeometry(canvas, heatmap);
  const top = topDecade(heatmap.values);
  for (let layer = 0; layer < heatmap.layers; layer++) {
    // The top layer on top, layer 1 at the bottom: depth reads upward as in the stack.
    const y = y0 + (heatmap.layers - 1 - layer) * height;
    for (let t = 0; t < heatmap.steps; t++) {
      const value = heatmap.values[layer * heatmap.steps + t];
      const x = x0 + t * width;
      if (value === undefined) {
        context.fillStyle = '#f5f7fa';
      } else if (!Number.isFinite(value)) {
        context.fillStyle = nonFiniteColour;
      } else if (value === 0 || top === null) {
        context.fillStyle = zeroColour;
      } else {
        const position = (Math.log10(value) - (top - decades)) / decades;
        context.fillStyle = interpolateViridis(Math.min(1, Math.max(0, position)));
      }
      context.fillRect(x, y, Math.ceil(width), Math.ceil(height));
      if (value !== undefined && (value === 0 || !Number.isFinite(value)) && width >= 6 && height >= 6) {
        // Zero and non-finite cells are crossed, so they read apart from a merely small value.
        context.strokeStyle = value === 0 ? '#9aa5b1' : '#ffffff';
        context.beginPath();
        context.moveTo(x + 2, y + 2);
        context.lineTo(x + width - 2, y + height - 2);
        context.stroke();
      }
    }
  }
  context.fillStyle = '#1f2933';
  context.font = '11px "DejaVu Sans", sans-serif';
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  const layerLabelEvery = Math.ceil(heatmap.layers / 10);
  for (let layer = 0; layer < heatmap.layers; layer += layerLabelEvery) {
    context.fillText(`layer ${layer + 1}`, x0 - 6, y0 + (heatmap.layers - 0.5 - layer) * height);
  }
  context.textAlign = 'center';
  context.textBaseline = 'top';
  const stepLabelEvery = Math.max(1, Math.ceil(heatmap.steps / 10));
  for (let t = 0; t < heatmap.steps; t += stepLabelEvery) context.fillText(String(t + 1), x0 + (t + 0.5) * width, canvas.height - margin.bottom + 4);
  context.fillText('time step t → (the loss is read at the last step)', x0 + (canvas.width - margin.left - margin.right) / 2, canvas.height - 13);
}

/** The cell under a mouse position (CSS pixels on the canvas), or null. */
export function heatmapCellAt(canvas: HTMLCanvasElement, heatmap: Heatmap, offsetX: number, offsetY: number): { layer: number; step: number; value: number } | null {
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  const { x0, y0, width, height } = cellGeometry(canvas, heatmap);
  const step = Math.floor((offsetX * scale - x0) / width);
  const row = Math.floor((offsetY * scale - y0) / height);
  if (step < 0 || step >= heatmap.steps || row < 0 || row >= heatmap.layers) return null;
  const layer = heatmap.layers - 1 - row;
  const value = heatmap.values[layer * heatmap.steps + step];
  return value === undefined ? null : { layer, step, value };
}

export function drawHeatmapLegend(svg: SVGSVGElement, heatmap: Heatmap): void {
  const root = select(svg);
  root.selectAll('*').remove();
  const top = topDecade(heatmap.values);
  if (top === null) return;
  const width = Number(svg.getAttribute('width')) - margin.left - margin.right;
  const gradientId = 'viridis-legend';
  const gradient = root.append('defs').append('linearGradient').attr('id', gradientId);
  for (let i = 0; i <= 10; i++) gradient.append('stop').attr('offset', `${i * 10}%`).attr('stop-color', interpolateViridis(i / 10));
  const group = root.append('g').attr('transform', `translate(${margin.left},4)`);
  group.append('rect').attr('width', width / 2).attr('height', 12).attr('fill', `url(#${gradientId})`);
  const scale = scaleLog().domain([10 ** (top - decades), 10 ** top]).range([0, width / 2]);
  group.append('g').attr('class', 'axis').attr('transform', 'translate(0,12)').call(axisBottom(scale).ticks(5, '.0e'));
  const keys = group.append('g').attr('transform', `translate(${width / 2 + 24},0)`);
  keys.append('rect').attr('width', 12).attr('height', 12).attr('fill', zeroColour).attr('stroke', '#9aa5b1');
  keys.append('text').attr('x', 16).attr('y', 10).text('exactly 0');
  keys.append('rect').attr('x', 100).attr('width', 12).attr('height', 12).attr('fill', nonFiniteColour);
  keys.append('text').attr('x', 116).attr('y', 10).text('NaN or ±∞');
}

function chartArea(svg: SVGSVGElement): { group: ReturnType<typeof select<SVGGElement, unknown>>; width: number; height: number } {
  const root = select(svg);
  root.selectAll('*').remove();
  const width = Number(svg.getAttribute('width')) - margin.left - margin.right;
  const height = Number(svg.getAttribute('height')) - margin.top - margin.bottom;
  const group = root.append('g').attr('transform', `translate(${margin.left},${margin.top})`) as unknown as ReturnType<typeof select<SVGGElement, unknown>>;
  return { group, width, height };
}

function note(group: ReturnType<typeof select<SVGGElement, unknown>>, width: number, height: number, text: string): void {
  group.append('text').attr('x', width / 2).attr('y', height / 2).attr('text-anchor', 'middle').attr('fill', '#616e7c').text(text);
}

export function drawLoss(svg: SVGSVGElement, losses: readonly [number, number][], chance: number | null): void {
  const { group, width, height } = chartArea(svg);
  const finite = losses.filter(([, loss]) => Number.isFinite(loss));
  if (finite.length === 0) return note(group, width, height, 'no steps yet');
  const largest = Math.max(chance ?? 0, ...finite.map(([, loss]) => loss));
  const x = scaleLinear().domain([1, Math.max(2, losses[losses.length - 1][0])]).range([0, width]);
  const y = scaleLinear().domain([0, largest * 1.05]).nice().range([height, 0]);
  group.append('g').attr('class', 'axis').attr('transform', `translate(0,${height})`).call(axisBottom(x).ticks(5));
  group.append('g').attr('class', 'axis').call(axisLeft(y).ticks(5));
  if (chance !== null) group.append('line').attr('x1', 0).attr('x2', width).attr('y1', y(chance)).attr('y2', y(chance)).attr('stroke', '#9aa5b1').attr('stroke-dasharray', '5 4');
  const path = line<[number, number]>().x(([step]) => x(step)).y(([, loss]) => y(loss))(finite);
  group.append('path').attr('d', path ?? '').attr('fill', 'none').attr('stroke', '#2f6fde').attr('stroke-width', 1.5);
  group.append('text').attr('x', width).attr('y', height + 26).attr('text-anchor', 'end').text('step');
}

/** A value per layer, layer 1 at the bottom, as horizontal bars (log or linear). */
function layerBars(svg: SVGSVGElement, values: readonly number[], log: boolean, format: (value: number) => string, colour: string): void {
  const { group, width, height } = chartArea(svg);
  if (values.length === 0) return note(group, width, height, 'no steps yet');
  const layers = values.map((_, i) => `layer ${i + 1}`);
  const y = scaleBand<string>().domain([...layers].reverse()).range([0, height]).padding(0.15);
  const positive = values.filter((value) => Number.isFinite(value) && value > 0);
  const x = log
    ? scaleLog().domain(positive.length === 0 ? [1e-8, 1] : [Math.min(...positive) / 2, Math.max(...positive) * 2]).range([0, width]).clamp(true)
    : scaleLinear().domain([0, 1]).range([0, width]);
  const labelEvery = Math.ceil(values.length / 10);
  group.append('g').attr('class', 'axis').call(axisLeft(y).tickValues(layers.filter((_, i) => i % labelEvery === 0)));
  group.append('g').attr('class', 'axis').attr('transform', `translate(0,${height})`).call(log ? axisBottom(x).ticks(4, '.0e') : axisBottom(x).ticks(5, '.0%'));
  values.forEach((value, i) => {
    const finite = Number.isFinite(value);
    const barWidth = !finite ? width : value > 0 ? x(value) : 0;
    group.append('rect').attr('y', y(layers[i]) ?? 0).attr('height', y.bandwidth()).attr('width', Math.max(0, barWidth)).attr('fill', finite ? colour : nonFiniteColour)
      .append('title').text(`${layers[i]}: ${format(value)}`);
  });
}

export function drawDepth(svg: SVGSVGElement, depth: readonly number[]): void {
  layerBars(svg, depth, true, (value) => (Number.isFinite(value) ? value.toExponential(2) : String(value)), '#3b5bdb');
}

export function drawSaturation(svg: SVGSVGElement, saturation: readonly number[]): void {
  layerBars(svg, saturation, false, (value) => `${(value * 100).toFixed(1)} %`, '#e8590c');
}

export function drawInputGradient(svg: SVGSVGElement, values: readonly number[]): void {
  const { group, width, height } = chartArea(svg);
  const points = values.map((value, t): [number, number] => [t + 1, value]).filter(([, value]) => Number.isFinite(value) && value > 0);
  if (points.length === 0) return note(group, width, height, values.length === 0 ? 'no steps yet' : 'nothing reaches the input (all zero)');
  const x = scaleLinear().domain([1, Math.max(2, values.length)]).range([0, width]);
  const y = scaleLog().domain([Math.min(...points.map(([, v]) => v)) / 2, Math.max(...points.map(([, v]) => v)) * 2]).range([height, 0]);
  group.append('g').attr('class', 'axis').attr('transform', `translate(0,${height})`).call(axisBottom(x).ticks(6));
  group.append('g').attr('class', 'axis').call(axisLeft(y).ticks(4, '.0e'));
  const path = line<[number, number]>().x(([t]) => x(t)).y(([, v]) => y(v))(points);
  group.append('path').attr('d', path ?? '').attr('fill', 'none').attr('stroke', '#2b8a3e').attr('stroke-width', 1.5);
  group.append('text').attr('x', width).attr('y', height + 26).attr('text-anchor', 'end').text('time step t');
}
