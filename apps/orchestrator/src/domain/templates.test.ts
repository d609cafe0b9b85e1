import { templateId, WISHES_MAX_LENGTH, type TemplateId } from '@neurocards/contracts';
import { describe, expect, it } from 'vitest';
import { fallbackPrompt, type PromptInput } from './prompt';
import { PROMPT_MAX_LENGTH, directionFor, templates } from './templates';

const ids = templateId.options as TemplateId[];
const base = (template: TemplateId, over: Partial<PromptInput> = {}): PromptInput => ({
  template,
  wishes: null,
  index: 1,
  count: 1,
  locale: 'ru',
  durationSeconds: 10,
  aspectRatio: 'portrait',
  ...over,
});

describe('templates', () => {
  it('defines every template of the contract with a version, instructions and directions', () => {
    expect(Object.keys(templates).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const t = templates[id];
      expect(t.id).toBe(id);
      expect(t.version).toBeGreaterThanOrEqual(1);
      expect(t.instructions.length).toBeGreaterThan(500);
      expect(t.instructions.length).toBeLessThan(PROMPT_MAX_LENGTH);
      // Five videos per order at most: each gets its own direction.
      expect(new Set(t.directions).size).toBeGreaterThanOrEqual(5);
    }
  });

  it.each(ids)('%s fallback stays within the KIE limit even with the longest wishes and 15 s', (id) => {
    for (const index of [1, 2, 3, 4, 5]) {
      const p = fallbackPrompt(base(id, { wishes: 'ж'.repeat(WISHES_MAX_LENGTH), index, count: 5, durationSeconds: 15 }));
      expect(p.length).toBeGreaterThan(100);
      expect(p.length).toBeLessThanOrEqual(PROMPT_MAX_LENGTH);
    }
  });

  it.each(ids)('%s fallback gives the videos of one order different prompts', (id) => {
    const prompts = [1, 2, 3, 4, 5].map((index) => fallbackPrompt(base(id, { wishes: 'на кухне', index, count: 5 })));
    expect(new Set(prompts).size).toBe(5);
  });

  it('UGC fallback asks for a person holding the product, phone-camera feel, lines in the seller language', () => {
    const ru = fallbackPrompt(base('ugc'));
    expect(ru).toMatch(/holds the product/);
    expect(ru).toMatch(/smartphone|selfie/i);
    expect(ru).toMatch(/speaks Russian/);
    expect(fallbackPrompt(base('ugc', { locale: 'en' }))).toMatch(/speaks English/);
  });

  it('Ad fallback asks for a polished commercial', () => {
    expect(fallbackPrompt(base('ad'))).toMatch(/premium commercial/);
    expect(fallbackPrompt(base('ad'))).toMatch(/cinematic/i);
  });

  it('carries the seller wishes into UGC and Ad fallbacks, and says the format', () => {
    for (const id of ['ugc', 'ad'] as const) {
      const p = fallbackPrompt(base(id, { wishes: 'Покажи на фоне моря' }));
      expect(p).toContain('Покажи на фоне моря');
      expect(p).toContain('10-second vertical 9:16');
    }
    expect(fallbackPrompt(base('ad', { aspectRatio: 'landscape', durationSeconds: 15 }))).toContain('15-second horizontal 16:9');
  });

  it('custom fallback is the seller text itself plus safe production directions', () => {
    const idea = 'Кот сидит рядом с кружкой и мурлычет, камера медленно наезжает';
    const p = fallbackPrompt(base('custom', { wishes: idea }));
    expect(p.startsWith(idea)).toBe(true);
    expect(p).toMatch(/Production notes/);
    expect(p).toMatch(/no famous or real identifiable people/);
    // Without text (the bot requires it, but never crash) it still describes a video.
    expect(fallbackPrompt(base('custom'))).toMatch(/showcasing the product/);
  });

  it('every fallback keeps the product faithful to the photo and forbids on-screen text', () => {
    for (const id of ids) {
      const p = fallbackPrompt(base(id));
      expect(p).toMatch(/exactly as in the photo/);
      expect(p).toMatch(/No on-screen text/);
    }
  });

  it('cycles directions when an order has more videos than directions', () => {
    const t = templates.ugc;
    expect(directionFor(t, t.directions.length + 1)).toBe(directionFor(t, 1));
  });
});
