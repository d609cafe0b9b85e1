import { describe, expect, it } from 'vitest';
import {
  buildRequest,
  CATALOGUE,
  callbackFamily,
  callbackTaskId,
  readCallback,
  readMarketRecord,
  readRecord,
  readVeoCallback,
  readVeoRecord,
  resolveDuration,
} from './models';

const base = {
  prompt: 'A person holds the product',
  imageUrl: 'https://kie.example/p.jpg',
  callBackUrl: 'https://bot.example/kie/callback/t',
};
const ratios = { portrait: '9:16', landscape: '16:9' } as const;

describe('catalogue: the exact request of each model', () => {
  it.each(['veo3_fast', 'veo3', 'veo3_lite'])('%s: Veo generate body, 8 s, camelCase imageUrls', (id) => {
    for (const aspectRatio of ['portrait', 'landscape'] as const) {
      expect(buildRequest(id, { ...base, aspectRatio, duration: 8 })).toEqual({
        family: 'veo',
        body: {
          model: id,
          prompt: base.prompt,
          imageUrls: [base.imageUrl],
          generationType: 'FIRST_AND_LAST_FRAMES_2_VIDEO',
          aspect_ratio: ratios[aspectRatio],
          enableTranslation: true,
          callBackUrl: base.callBackUrl,
        },
      });
    }
  });

  it('kling-3.0/video: image_urls, duration as a string, 9:16/16:9, sound', () => {
    for (const aspectRatio of ['portrait', 'landscape'] as const)
      for (const duration of [5, 10, 15])
        expect(buildRequest('kling-3.0/video', { ...base, aspectRatio, duration })).toEqual({
          family: 'market',
          body: {
            model: 'kling-3.0/video',
            callBackUrl: base.callBackUrl,
            input: {
              prompt: base.prompt,
              image_urls: [base.imageUrl],
              sound: true,
              duration: String(duration),
              aspect_ratio: ratios[aspectRatio],
              mode: 'std',
              multi_shots: false,
            },
          },
        });
  });

  it.each(['bytedance/seedance-2', 'bytedance/seedance-2-fast'])(
    '%s: first_frame_url, duration a number',
    (id) => {
      for (const aspectRatio of ['portrait', 'landscape'] as const)
        for (const duration of [5, 10, 15])
          expect(buildRequest(id, { ...base, aspectRatio, duration }).body).toEqual({
            model: id,
            callBackUrl: base.callBackUrl,
            input: {
              prompt: base.prompt,
              first_frame_url: base.imageUrl,
              generate_audio: true,
              resolution: '720p',
              aspect_ratio: ratios[aspectRatio],
              duration,
            },
          });
    },
  );

  it('wan/2-6-image-to-video: image_urls, duration string, no aspect_ratio (the photo decides)', () => {
    for (const aspectRatio of ['portrait', 'landscape'] as const)
      for (const duration of [5, 10, 15])
        expect(buildRequest('wan/2-6-image-to-video', { ...base, aspectRatio, duration }).body).toEqual({
          model: 'wan/2-6-image-to-video',
          callBackUrl: base.callBackUrl,
          input: {
            prompt: base.prompt,
            image_urls: [base.imageUrl],
            duration: String(duration),
            resolution: '720p',
          },
        });
  });

  it('hailuo/2-3-image-to-video-standard: one image_url, 6 or 10 s at 768P', () => {
    for (const aspectRatio of ['portrait', 'landscape'] as const)
      for (const duration of [6, 10])
        expect(
          buildRequest('hailuo/2-3-image-to-video-standard', { ...base, aspectRatio, duration }).body,
        ).toEqual({
          model: 'hailuo/2-3-image-to-video-standard',
          callBackUrl: base.callBackUrl,
          input: {
            prompt: base.prompt,
            image_url: base.imageUrl,
            duration: String(duration),
            resolution: '768P',
          },
        });
  });

  it('sora-2-image-to-video: the old shape, kept for accounts where it still answers', () => {
    for (const aspectRatio of ['portrait', 'landscape'] as const)
      for (const duration of [10, 15])
        expect(buildRequest('sora-2-image-to-video', { ...base, aspectRatio, duration }).body).toEqual({
          model: 'sora-2-image-to-video',
          callBackUrl: base.callBackUrl,
          input: {
            prompt: base.prompt,
            image_urls: [base.imageUrl],
            aspect_ratio: aspectRatio,
            n_frames: String(duration),
            remove_watermark: true,
          },
        });
  });

  it('every row is well-formed: its default is one of its lengths, both orientations', () => {
    for (const row of CATALOGUE.values()) {
      expect(row.durations).toContain(row.defaultDuration);
      expect(row.label.length).toBeGreaterThan(0);
      expect(row.docs).toMatch(/^https:\/\/docs\.kie\.ai\//);
    }
    expect(() => buildRequest('sora-3', { ...base, aspectRatio: 'portrait', duration: 5 })).toThrow(
      /unknown KIE model/,
    );
  });

  it('falls back to the default length when the asked one is not offered', () => {
    const veo = CATALOGUE.get('veo3_fast')!;
    expect(resolveDuration(veo, 10)).toBe(8);
    expect(resolveDuration(veo, undefined)).toBe(8);
    const kling = CATALOGUE.get('kling-3.0/video')!;
    expect(resolveDuration(kling, 10)).toBe(10);
    expect(resolveDuration(kling, 7)).toBe(5);
  });
});

describe('catalogue: reading Market records (recordInfo and callback)', () => {
  const rec = (over: Record<string, unknown>) => ({
    taskId: 't1',
    model: 'kling-3.0/video',
    state: 'generating',
    ...over,
  });

  it('waits, succeeds with resultJson URLs, or fails with failCode/failMsg', () => {
    expect(readMarketRecord(null)).toEqual({ kind: 'pending' });
    for (const state of ['waiting', 'queuing', 'generating'])
      expect(readMarketRecord(rec({ state }))).toEqual({ kind: 'pending' });
    expect(
      readMarketRecord(
        rec({ state: 'success', resultJson: JSON.stringify({ resultUrls: ['https://cdn.example/v.mp4'] }) }),
      ),
    ).toEqual({ kind: 'success', urls: ['https://cdn.example/v.mp4'] });
    expect(readMarketRecord(rec({ state: 'success', resultJson: '{}' })).kind).toBe('failure');
    expect(readMarketRecord(rec({ state: 'fail', failCode: 422, failMsg: 'content policy' }))).toEqual({
      kind: 'failure',
      failure: { kind: 'task_failed', failCode: '422', failMsg: 'content policy' },
    });
  });

  it('reads a Market callback body (the record under data)', () => {
    const body = {
      code: 200,
      msg: 'Playground task completed successfully.',
      data: rec({
        state: 'success',
        resultJson: JSON.stringify({ resultUrls: ['https://cdn.example/v.mp4'] }),
      }),
    };
    expect(callbackFamily(body)).toBe('market');
    expect(callbackTaskId(body)).toBe('t1');
    expect(readCallback('market', body)).toEqual({ kind: 'success', urls: ['https://cdn.example/v.mp4'] });
  });
});

describe('catalogue: reading Veo records and callbacks', () => {
  // https://docs.kie.ai/veo3-api/get-veo-3-video-details
  const record = (over: Record<string, unknown>) => ({
    taskId: 'veo_task_abcdef123456',
    paramJson: '{"model":"veo3_fast"}',
    completeTime: null,
    response: null,
    successFlag: 0,
    errorCode: null,
    errorMessage: '',
    createTime: '2026-11-30 21:00:00',
    fallbackFlag: false,
    ...over,
  });

  it('successFlag 0 generating, 1 success, 2/3 failed', () => {
    expect(readVeoRecord(record({}))).toEqual({ kind: 'pending' });
    expect(readVeoRecord(null)).toEqual({ kind: 'pending' });
    expect(
      readVeoRecord(
        record({
          successFlag: 1,
          response: {
            taskId: 'x',
            resultUrls: ['https://cdn.example/veo.mp4'],
            originUrls: [],
            resolution: '720p',
          },
        }),
      ),
    ).toEqual({ kind: 'success', urls: ['https://cdn.example/veo.mp4'] });
    expect(readVeoRecord(record({ successFlag: 1, response: { resultUrls: [] } })).kind).toBe('failure');
    expect(
      readVeoRecord(
        record({
          successFlag: 2,
          errorCode: 400,
          errorMessage: 'Your prompt was flagged by Website as violating content policies',
        }),
      ),
    ).toEqual({
      kind: 'failure',
      failure: {
        kind: 'task_failed',
        failCode: '400',
        failMsg: 'Your prompt was flagged by Website as violating content policies',
      },
    });
    expect(
      readVeoRecord(record({ successFlag: 3, errorCode: 501, errorMessage: 'Generation failed' })),
    ).toMatchObject({
      kind: 'failure',
    });
    expect(readRecord('veo', record({ successFlag: 0 }))).toEqual({ kind: 'pending' });
  });

  it('reads the Veo callback: code 200 with data.info.resultUrls, else the reason in msg', () => {
    // https://docs.kie.ai/veo3-api/generate-veo-3-video-callbacks
    const ok = {
      code: 200,
      msg: 'Veo3.1 video generated successfully.',
      data: {
        taskId: 'veo_task_abcdef123456',
        promptJson: '{"model":"veo3_fast"}',
        info: {
          resultUrls: ['http://example.com/video1.mp4'],
          originUrls: ['http://example.com/o.mp4'],
          resolution: '1080p',
        },
        fallbackFlag: false,
      },
    };
    expect(callbackFamily(ok)).toBe('veo');
    expect(callbackTaskId(ok)).toBe('veo_task_abcdef123456');
    expect(readVeoCallback(ok)).toEqual({ kind: 'success', urls: ['http://example.com/video1.mp4'] });
    const refused = {
      code: 400,
      msg: 'Your prompt was flagged by Website as violating content policies',
      data: { taskId: 'v', info: null, fallbackFlag: false },
    };
    expect(readCallback('veo', refused)).toEqual({
      kind: 'failure',
      failure: { kind: 'task_failed', failCode: '400', failMsg: refused.msg },
    });
    expect(readCallback('veo', { code: 501, msg: 'Generation failed', data: { taskId: 'v' } }).kind).toBe(
      'failure',
    );
  });
});
