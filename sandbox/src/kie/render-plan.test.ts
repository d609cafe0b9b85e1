import { describe, expect, it } from 'vitest';
import { videoPrompt } from '../openai/prompt.js';
import { filterGraph, labelOf, orientationOf, templateOf } from './render-plan.js';

describe('orientationOf', () => {
  it("reads each family's aspect ratio field", () => {
    expect(orientationOf({ aspect_ratio: 'landscape' })).toBe('landscape'); // Sora
    expect(orientationOf({ aspect_ratio: 'portrait' })).toBe('portrait');
    expect(orientationOf({ aspect_ratio: '16:9' })).toBe('landscape'); // Kling, Seedance, Veo
    expect(orientationOf({ aspect_ratio: '9:16' })).toBe('portrait');
    expect(orientationOf({ aspect_ratio: '21:9' })).toBe('landscape');
    expect(orientationOf({ aspect_ratio: '1:1' })).toBe('portrait');
    expect(orientationOf({ aspectRatio: '16:9' })).toBe('landscape'); // Veo's older quickstart spelling
  });

  it('lets the photo decide where the request does not (Wan, Hailuo, Veo Auto, Seedance adaptive); 9:16 without either', () => {
    const wide = { width: 1200, height: 800 };
    expect(orientationOf({}, wide)).toBe('landscape');
    expect(orientationOf({ aspect_ratio: 'Auto' }, wide)).toBe('landscape');
    expect(orientationOf({ aspect_ratio: 'adaptive' }, { width: 800, height: 1200 })).toBe('portrait');
    expect(orientationOf({ aspect_ratio: '9:16' }, wide)).toBe('portrait');
    expect(orientationOf({})).toBe('portrait');
    expect(orientationOf({}, { width: 0, height: 0 })).toBe('portrait');
  });
});

describe('templateOf', () => {
  it("tells the templates apart by the prompt's opening, as the OpenAI sim and the fallback prompts write it", () => {
    expect(templateOf('Authentic UGC-style vertical video: a friendly person holds the product.')).toBe('ugc');
    expect(templateOf('A 10-second vertical 9:16 UGC-style smartphone video for a marketplace product card.\nThe product…')).toBe('ugc');
    expect(templateOf('Polished commercial: the product rotates slowly.')).toBe('ad');
    expect(templateOf('A 10-second vertical 9:16 premium commercial for the product from the reference image.')).toBe('ad');
    expect(templateOf("The seller's own idea, executed as written. Creative direction from the seller: \"a UGC ad\".")).toBe('custom');
    expect(templateOf('A cat walks past the mug')).toBe('custom');
  });

  it('recognises every template in what the OpenAI simulator writes for it', () => {
    for (const id of ['ugc', 'ad', 'custom'] as const) {
      const user = `Template: ${id} (v1).\nLength: 10 seconds, vertical 9:16.\nSeller's wishes: """make it a UGC ad"""`;
      expect(templateOf(videoPrompt('instructions', user, true))).toBe(id);
    }
  });
});

describe('labelOf and filterGraph', () => {
  it('names the model as sellers see it and the template, in characters drawtext takes literally', () => {
    expect(labelOf('kling-3.0/video', 'ugc')).toBe('Kling 3.0 | UGC');
    expect(labelOf('veo3_fast', 'ad')).toBe('Veo 3.1 Fast | Ad');
    expect(labelOf("odd:model'%", 'custom')).toBe('odd model   | Own prompt');
  });

  it('sizes the frame by orientation and draws the label only when a font is given', () => {
    const portrait = filterGraph({ orientation: 'portrait', template: 'ad', seconds: 4, fps: 25 });
    expect(portrait).toContain('s=480x854');
    expect(portrait).toContain('d=100');
    expect(portrait).not.toContain('drawtext');
    const landscape = filterGraph({ orientation: 'landscape', template: 'ugc', seconds: 4, fps: 25, label: { text: 'Kling 3.0 | UGC', fontFile: '/f.ttf' } });
    expect(landscape).toContain('s=854x480');
    expect(landscape).toContain("text='Kling 3.0 | UGC'");
  });
});
