/** Text parts of a chat message's content (a string, or an array of typed parts). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: { type?: string; text?: unknown }) => (p?.type === 'text' && typeof p.text === 'string' ? p.text : ''))
    .filter(Boolean)
    .join('\n');
}

/**
 * A plausible English video prompt derived from what the model was asked: the style follows the
 * template the orchestrator names ("Template: ugc (v1)." in apps/orchestrator/src/domain/prompt.ts),
 * or else the words it finds (UGC / ad), and the seller's own words are carried along. Each
 * template's prompt opens with its own phrase ("UGC-style", "Polished commercial", "The seller's
 * own idea"), which the KIE simulator reads to move its rendered video as the template would
 * (sandbox/src/kie/render-plan.ts).
 */
export function videoPrompt(system: string, user: string, hasImage: boolean): string {
  const all = `${system}\n${user}`.toLowerCase();
  const named = /^Template:\s*(ugc|ad|custom)\b/im.exec(user)?.[1]?.toLowerCase();
  const ugc = named !== undefined ? named === 'ugc' : /\bugc\b|testimonial|holding|talks? about/.test(all);
  const ad = named !== undefined ? named === 'ad' : /\bad\b|commercial|advert|polished|cinematic/.test(all);
  const frame = /horizontal 16:9/i.test(user) ? 'horizontal' : 'vertical';
  const style = ugc
    ? `Authentic UGC-style ${frame} video: a friendly person holds the product to the camera and talks about it enthusiastically, handheld phone framing, natural home lighting`
    : ad
      ? 'Polished commercial: the product rotates slowly on a clean studio set, dramatic rim light, smooth dolly-in, shallow depth of field'
      : named === 'custom'
        ? "The seller's own idea, executed as written: smooth camera movement around the product, soft natural light"
        : 'Short product showcase: smooth camera movement around the product, soft natural light';
  // Triple-quoted material is what a prompt marks as the seller's own words; a model carries
  // that along first. Otherwise the start of the user text stands in for it.
  const quoted = [...user.matchAll(/"""([\s\S]*?)"""/g)].map((m) => m[1]).join(' ');
  const wishes = (quoted || user).replace(/\s+/g, ' ').trim().slice(0, 400);
  return [
    `${style}.`,
    hasImage ? 'Keep the product exactly as in the reference photo: same shape, colours, label and proportions.' : '',
    wishes ? `Creative direction from the seller: "${wishes}".` : '',
    'Realistic motion, the product stays sharp and centred, no on-screen text, no watermarks, 10 seconds.',
  ]
    .filter(Boolean)
    .join(' ');
}
