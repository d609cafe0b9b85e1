/**
 * PNG charts of the evening, drawn by the bench itself: Vega-Lite specs rendered to SVG by
 * Vega (headless, no canvas), then to PNG by resvg (a WebAssembly/N-API build from npm; no
 * download at install).
 */
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EveningResult } from './evening';
import { pct } from './sim-core';

async function render(spec: TopLevelSpec, file: string): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 1.5 }, font: { loadSystemFonts: true } })
    .render()
    .asPng();
  writeFileSync(file, png);
}

const label = (r: EveningResult) => `K = ${r.accounts}`;

/** Videos waiting for a submission slot, minute by minute, one line per number of accounts. */
export async function queueDepthChart(runs: readonly EveningResult[], file: string): Promise<void> {
  const values = runs.flatMap((r) => r.depth.map((d) => ({ minute: d.minute, waiting: d.waiting, accounts: label(r) })));
  await render(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Queue depth: videos waiting for KIE (minutes after 20:00 Moscow)',
      width: 640,
      height: 260,
      data: { values },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'minute', type: 'quantitative', title: 'minutes after 20:00' },
        y: { field: 'waiting', type: 'quantitative', title: 'videos waiting' },
        color: { field: 'accounts', type: 'nominal', title: 'accounts', sort: runs.map(label) },
      },
    },
    file,
  );
}

/**
 * Confirm → first video over the evening: the median and p95 of the orders confirmed in each
 * 5-minute slot, per number of accounts (the ideal schedule dashed).
 */
export async function waitsChart(runs: readonly EveningResult[], ideal: readonly EveningResult[], file: string): Promise<void> {
  const values: { minute: number; wait: number; series: string; stat: string }[] = [];
  for (const r of runs.flatMap((x, i) => [x, ideal[i]!])) {
    const slots = new Map<number, number[]>();
    for (const w of r.waits) {
      const s = Math.floor(w.minute / 5) * 5;
      slots.set(s, [...(slots.get(s) ?? []), w.first]);
    }
    for (const [minute, xs] of [...slots].sort((a, b) => a[0] - b[0])) {
      const series = `${label(r)}${r.ideal ? ' ideal' : ''}`;
      values.push({ minute, wait: pct(xs, 0.5), series, stat: 'p50' });
      values.push({ minute, wait: pct(xs, 0.95), series, stat: 'p95' });
    }
  }
  await render(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Confirm → first video (minutes) by time of confirmation',
      data: { values },
      facet: { column: { field: 'stat', type: 'nominal', title: null } },
      spec: {
        width: 380,
        height: 240,
        mark: { type: 'line', point: false },
        encoding: {
          x: { field: 'minute', type: 'quantitative', title: 'confirmed, minutes after 20:00' },
          y: { field: 'wait', type: 'quantitative', title: 'minutes to first video' },
          color: { field: 'series', type: 'nominal', title: 'run', sort: [...new Set(values.map((v) => v.series))] },
          strokeDash: {
            condition: { test: "indexof(datum.series, 'ideal') >= 0", value: [4, 3] },
            value: [1, 0],
          },
        },
      },
    },
    file,
  );
}
