import { z } from 'zod';
import { readMarketRecord, type RecordOutcome } from './models';

/**
 * The task record KIE returns from recordInfo and POSTs to the callBackUrl (docs/design.md §4).
 * Only the fields we act on are read; everything else passes.
 */
export const taskRecord = z.looseObject({
  taskId: z.string().min(1),
  state: z.string(),
  resultJson: z.string().nullish(),
  failCode: z.union([z.string(), z.number()]).nullish(),
  failMsg: z.string().nullish(),
});
export type TaskRecord = z.infer<typeof taskRecord>;

/** `{ code, msg, data }` with `data` null while a task is young. */
export const recordEnvelope = z.looseObject({
  code: z.number().nullish(),
  msg: z.string().nullish(),
  data: taskRecord.nullish(),
});

export type { RecordOutcome } from './models';

/**
 * What a Market task record says about the attempt: the catalogue's Market reader (kept
 * under its old name; Veo records are read by `readVeoRecord`).
 */
export function interpretRecord(r: TaskRecord | null | undefined): RecordOutcome {
  return readMarketRecord(r);
}

const resultJson = z.object({ resultUrls: z.array(z.url()).min(1) });

/** `resultJson` is a JSON string `{ "resultUrls": [...] }`. */
export function parseResultUrls(text: string | null): string[] | null {
  if (!text) return null;
  try {
    const parsed = resultJson.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.resultUrls : null;
  } catch {
    return null;
  }
}
