import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRenderer } from './render.js';
import { startKieSim } from './sim.js';
import type { KieSim } from './sim.js';
import { createTask, kie } from './test-helpers.js';
import type { KieRecord } from './types.js';

// CI installs ffmpeg (scripts/ensure-ffmpeg.sh); on a machine without it these tests are skipped
// and the sim serves the tiny placeholder instead.
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'kie-render-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A PNG made by ffmpeg from one of its test sources. */
function photo(source: string): Uint8Array {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-']);
  return new Uint8Array(r.stdout);
}

function probe(file: string): { codec: string; width: number; height: number; pixFmt: string; duration: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,pix_fmt:format=duration', '-of', 'json', file]);
  const j = JSON.parse(r.stdout.toString()) as { streams: Array<{ codec_name: string; width: number; height: number; pix_fmt: string }>; format: { duration: string } };
  const s = j.streams[0];
  return { codec: s?.codec_name ?? '', width: s?.width ?? 0, height: s?.height ?? 0, pixFmt: s?.pix_fmt ?? '', duration: Number(j.format.duration) };
}
/** The result URL of a Market task of key `k`, once it succeeded. */
async function resultUrl(sim: KieSim, taskId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const rec = (await kie<KieRecord>(sim, 'GET', `/api/v1/jobs/recordInfo?taskId=${taskId}`, 'k')).body.data;
    if (rec?.state === 'success') return (JSON.parse(rec.resultJson) as { resultUrls: string[] }).resultUrls[0] ?? '';
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${taskId} did not succeed`);
}
const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.runIf(hasFfmpeg)('ffmpeg renderer (needs ffmpeg and ffprobe on PATH, skipped without)', () => {
  it('renders H.264 in the order orientation, a different video per photo, and serves repeats from the cache', async () => {
    const renderer = createRenderer({ cacheDir: tempDir(), seconds: 1, concurrency: 2 });
    const mug = photo('testsrc2=s=300x400');
    const box = photo('color=c=orange:s=400x300');
    const [portrait, landscape, other] = await Promise.all([
      renderer.render({ image: mug, orientation: 'portrait', template: 'ad', model: 'kling-3.0/video' }),
      renderer.render({ image: mug, orientation: 'landscape', template: 'ugc', model: 'veo3_fast' }),
      renderer.render({ image: box, orientation: 'portrait', template: 'ad', model: 'kling-3.0/video' }),
    ]);
    expect(probe(portrait ?? '')).toMatchObject({ codec: 'h264', width: 480, height: 854, pixFmt: 'yuv420p' });
    expect(probe(portrait ?? '').duration).toBeGreaterThan(0);
    expect(probe(landscape ?? '')).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(digest(other ?? '')).not.toBe(digest(portrait ?? ''));
    expect(renderer.stats()).toEqual({ ffmpegRuns: 3, cacheHits: 0, failures: 0 });

    const again = await renderer.render({ image: mug, orientation: 'portrait', template: 'ad', model: 'kling-3.0/video' });
    expect(again).toBe(portrait);
    expect(renderer.stats()).toMatchObject({ ffmpegRuns: 3, cacheHits: 1 });
    await renderer.close();
  }, 30_000);

  it('renders a plain background when there is no readable photo', async () => {
    const renderer = createRenderer({ cacheDir: tempDir(), seconds: 1 });
    const out = await renderer.render({ image: new Uint8Array([1, 2, 3]), orientation: 'landscape', template: 'custom', model: 'wan/2-6-image-to-video' });
    expect(probe(out ?? '')).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(renderer.stats()).toMatchObject({ ffmpegRuns: 2, failures: 0 });
    await renderer.close();
  }, 30_000);

  it("serves a task's rendered video at its result URL, from the photo in the sim's upload store", async () => {
    const sim = await startKieSim({ latencyMs: 200, keys: ['k'], render: 'ffmpeg', renderOptions: { cacheDir: tempDir(), seconds: 1 } });
    try {
      const form = new FormData();
      form.set('file', new Blob([photo('testsrc2=s=640x360')], { type: 'image/png' }), 'p.png');
      form.set('uploadPath', 'images/user-uploads');
      const up = (await (await fetch(`${sim.uploadBaseUrl}/api/file-stream-upload`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: form })).json()) as {
        data: { downloadUrl: string };
      };
      // Wan has no aspect_ratio: the landscape photo decides.
      const created = await createTask(sim, 'k', {
        model: 'wan/2-6-image-to-video',
        input: { prompt: 'Polished commercial: the product turns slowly.', image_urls: [up.data.downloadUrl], duration: '5' },
      });
      const res = await fetch(await resultUrl(sim, created.body.data?.taskId ?? ''));
      expect(res.headers.get('content-type')).toBe('video/mp4');
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(bytes).not.toEqual(sim.videoBytes);
      const file = path.join(tempDir(), 'result.mp4');
      writeFileSync(file, bytes);
      expect(probe(file)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
      expect(sim.renderStats()).toMatchObject({ ffmpegRuns: 1, failures: 0 });
    } finally {
      await sim.close();
    }
  }, 30_000);
});

describe('without ffmpeg', () => {
  it("serves the tiny placeholder at the result URL with render 'ffmpeg'", async () => {
    const sim = await startKieSim({ latencyMs: 100, keys: ['k'], render: 'ffmpeg', renderOptions: { ffmpegPath: '/nonexistent/ffmpeg', cacheDir: tempDir() } });
    try {
      const url = await resultUrl(sim, (await createTask(sim, 'k')).body.data?.taskId ?? '');
      expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(sim.videoBytes);
      expect(sim.renderStats()).toEqual({ ffmpegRuns: 0, cacheHits: 0, failures: 0 });
    } finally {
      await sim.close();
    }
  });

  it('says once that ffmpeg is missing and renders nothing', async () => {
    const warnings: string[] = [];
    const renderer = createRenderer({ ffmpegPath: '/nonexistent/ffmpeg', cacheDir: tempDir(), warn: (m) => warnings.push(m) });
    expect(await renderer.render({ orientation: 'portrait', template: 'ugc', model: 'veo3' })).toBeUndefined();
    expect(await renderer.render({ orientation: 'landscape', template: 'ugc', model: 'veo3' })).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(renderer.stats().ffmpegRuns).toBe(0);
    await renderer.close();
  });
});
