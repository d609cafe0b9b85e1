import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { filterGraph, FRAME, labelOf } from './render-plan.js';
import type { Orientation, TemplateKind } from './render-plan.js';

/**
 * Renders a task's result video with ffmpeg: a few seconds of the template's camera move over the
 * task's photo, in the order's orientation, with a small label. Off the request path: renders
 * queue (at most `concurrency` ffmpeg processes), and every result is cached on disk by a hash of
 * its inputs, so the same photo, orientation, template and model never render twice (also across
 * sandbox restarts).
 */

/** Bump when the look changes, so old cache entries are not served. */
const RENDER_VERSION = 1;

export interface RenderRequest {
  /** The photo's bytes; undefined renders a plain background frame. */
  image?: Uint8Array;
  orientation: Orientation;
  template: TemplateKind;
  model: string;
}

export interface RendererOptions {
  /** The ffmpeg binary (default: `ffmpeg` from PATH). */
  ffmpegPath?: string;
  /** Where rendered videos are kept (default os.tmpdir()/neurocards-kie-renders). */
  cacheDir?: string;
  /** ffmpeg processes at once (default 1: the sandbox machine runs five services beside it). */
  concurrency?: number;
  /** Clip length (default 4 s) and frame rate (default 25 fps). */
  seconds?: number;
  fps?: number;
  /** A render taking longer is killed and counts as failed (default 30 s). */
  timeoutMs?: number;
  /** Told once when ffmpeg is missing, and of each failed render. */
  warn?: (msg: string) => void;
}

export interface RenderStats {
  /** ffmpeg encodes started (a cache hit starts none). */
  ffmpegRuns: number;
  cacheHits: number;
  failures: number;
}

export interface Renderer {
  /** The path of the rendered MP4, or undefined when none could be made (no ffmpeg, or it failed). */
  render(req: RenderRequest): Promise<string | undefined>;
  stats(): RenderStats;
  /** Whether ffmpeg was found (probed once). */
  available(): Promise<boolean>;
  /** Kills running encodes; queued ones end undefined. */
  close(): Promise<void>;
}

export const DEFAULT_RENDER_CACHE_DIR = path.join(os.tmpdir(), 'neurocards-kie-renders');

// Debian's fonts-dejavu-core (pulled in by ffmpeg's fontconfig) puts DejaVu Sans here.
const FONT_CANDIDATES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans.ttf'];

interface Capabilities {
  ffmpeg: boolean;
  /** A font file drawtext can use, when ffmpeg has drawtext; otherwise no label. */
  fontFile?: string;
}

function run(cmd: string, args: string[], timeoutMs: number, children?: Set<ChildProcess>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, stdout: '', stderr: String(err) });
      return;
    }
    children?.add(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => void (stdout += d.toString()));
    // Keep only the tail of stderr: enough to say why an encode failed.
    child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
    const done = (code: number | null): void => {
      clearTimeout(timer);
      children?.delete(child);
      resolve({ code, stdout, stderr });
    };
    child.once('error', (err) => {
      stderr += String(err);
      done(null);
    });
    child.once('close', done);
  });
}

const exists = (p: string): Promise<boolean> => access(p).then(
  () => true,
  () => false,
);
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

async function probe(ffmpeg: string): Promise<Capabilities> {
  const filters = await run(ffmpeg, ['-hide_banner', '-filters'], 10_000);
  if (filters.code !== 0) return { ffmpeg: false };
  if (!/\bdrawtext\b/.test(filters.stdout)) return { ffmpeg: true };
  for (const f of FONT_CANDIDATES) if (await exists(f)) return { ffmpeg: true, fontFile: f };
  const match = await run('fc-match', ['-f', '%{file}', 'sans'], 5_000);
  const found = match.stdout.trim();
  // The path goes inside a quoted filter option: take only plain ones.
  return match.code === 0 && /^[\w./-]+\.(ttf|otf)$/i.test(found) ? { ffmpeg: true, fontFile: found } : { ffmpeg: true };
}

export function createRenderer(opts: RendererOptions = {}): Renderer {
  const ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
  const cacheDir = opts.cacheDir ?? DEFAULT_RENDER_CACHE_DIR;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const seconds = opts.seconds ?? 4;
  const fps = opts.fps ?? 25;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const warn = opts.warn ?? (() => undefined);
  const stats: RenderStats = { ffmpegRuns: 0, cacheHits: 0, failures: 0 };
  const pending = new Map<string, Promise<string | undefined>>();
  const children = new Set<ChildProcess>();
  const waiting: Array<() => void> = [];
  let active = 0;
  let closed = false;
  let capabilities: Promise<Capabilities> | undefined;

  const caps = (): Promise<Capabilities> =>
    (capabilities ??= probe(ffmpeg).then((c) => {
      if (!c.ffmpeg) warn(`kie sim: ${ffmpeg} not found; results are the tiny placeholder mp4`);
      else if (c.fontFile === undefined) warn('kie sim: no drawtext filter or font; rendered results carry no label');
      return c;
    }));

  /** Waits for a free encode slot; the returned function frees it. */
  const slot = async (): Promise<() => void> => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    return () => {
      active--;
      waiting.shift()?.();
    };
  };

  async function encode(req: RenderRequest, out: string, c: Capabilities): Promise<boolean> {
    const { width, height } = FRAME[req.orientation];
    const graph = (label: boolean): string =>
      filterGraph({
        orientation: req.orientation,
        template: req.template,
        seconds,
        fps,
        ...(label && c.fontFile !== undefined ? { label: { text: labelOf(req.model, req.template), fontFile: c.fontFile } } : {}),
      });
    // A plain slate-grey frame stands in for a photo that is missing or that ffmpeg cannot read.
    const background = ['-f', 'lavfi', '-i', `color=c=0x334155:s=${width * 2}x${height * 2}:r=1:d=1`];
    let input = background;
    if (req.image !== undefined) {
      const imageFile = path.join(cacheDir, `${sha256(req.image).slice(0, 32)}.img`);
      if (!(await exists(imageFile))) {
        // Written aside and renamed, so a parallel render of the same photo never reads half a file.
        const part = `${imageFile}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
        await writeFile(part, req.image);
        await rename(part, imageFile);
      }
      input = ['-i', imageFile];
    }
    // Fall back step by step rather than fail: a photo ffmpeg cannot read gives way to the
    // background, and a label drawtext cannot draw is left out.
    const labels = c.fontFile !== undefined ? [true, false] : [false];
    const inputs = input === background ? [background] : [input, background];
    const attempts = labels.flatMap((label) => inputs.map((i) => ({ input: i, label })));
    const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp.mp4`;
    for (const a of attempts) {
      if (closed) return false;
      stats.ffmpegRuns++;
      const r = await run(
        ffmpeg,
        [
          ...['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...a.input],
          ...['-filter_complex', graph(a.label), '-map', '[v]', '-frames:v', String(Math.round(seconds * fps))],
          // H.264 in yuv420p with the index up front: what Chromium plays inline; small files.
          ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-an', tmp],
        ],
        timeoutMs,
        children,
      );
      if (r.code === 0) {
        await rename(tmp, out);
        return true;
      }
      warn(`kie sim: render failed (${r.code ?? 'killed'}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
      await rm(tmp, { force: true });
      // Killed at its timeout: another attempt would hold the only slot as long again, while the
      // renders behind it wait; this one is served as the placeholder instead.
      if (r.code === null) break;
    }
    return false;
  }

  async function renderOnce(key: string, req: RenderRequest): Promise<string | undefined> {
    const out = path.join(cacheDir, `${key}.mp4`);
    if (await exists(out)) {
      stats.cacheHits++;
      return out;
    }
    const c = await caps();
    if (!c.ffmpeg || closed) return undefined;
    await mkdir(cacheDir, { recursive: true });
    const release = await slot();
    try {
      if (await exists(out)) {
        stats.cacheHits++;
        return out;
      }
      if (await encode(req, out, c)) return out;
      stats.failures++;
      return undefined;
    } finally {
      release();
    }
  }

  return {
    render(req) {
      const key = sha256(
        JSON.stringify({ v: RENDER_VERSION, image: req.image ? sha256(req.image) : null, o: req.orientation, t: req.template, m: req.model, seconds, fps }),
      ).slice(0, 40);
      const known = pending.get(key);
      if (known) {
        stats.cacheHits++;
        return known;
      }
      const p = renderOnce(key, req).catch((err: unknown) => {
        stats.failures++;
        warn(`kie sim: render failed: ${String(err)}`);
        return undefined;
      });
      pending.set(key, p);
      // Once settled the file on disk is the cache; the map only joins renders still running.
      void p.then(() => pending.delete(key));
      return p;
    },
    stats: () => ({ ...stats }),
    available: async () => (await caps()).ffmpeg,
    close: async () => {
      closed = true;
      for (const c of children) c.kill('SIGKILL');
      for (const w of waiting.splice(0)) w();
      await Promise.allSettled([...pending.values()]);
    },
  };
}
