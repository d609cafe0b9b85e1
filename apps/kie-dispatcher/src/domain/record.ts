import { z } from 'zod';
import type { KieFailure } from './classify';

/**
 * The task record KIE returns from recordInfo and POSTs to the callBackUrl (design §4).
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

export type RecordOutcome =
  { kind: 'pending' } | { kind: 'success'; urls: string[] } | { kind: 'failure'; failure: KieFailure };

const resultJson = z.object({ resultUrls: z.array(z.url()).min(1) });

/** What a task record says about the attempt. */
export function interpretRecord(r: TaskRecord | null | undefined): RecordOutcome {
  if (!r) return { kind: 'pending' };
  switch (r.state) {
    case 'success': {
      const urls = parseResultUrls(r.resultJson ?? null);
      if (urls) return { kind: 'success', urls };
      // A success without a usable video is no video: try again like any generation failure.
      return {
        kind: 'failure',
        failure: { kind: 'task_failed', failCode: null, failMsg: 'success without result URLs' },
      };
    }
    case 'fail':
      return {
        kind: 'failure',
        failure: {
          kind: 'task_failed',
          failCode:
            r.failCode === null || r.failCode === undefined || r.failCode === '' ? null : String(r.failCode),
          failMsg: r.failMsg || null,
        },
      };
    default:
      // waiting | queuing | generating, and any state KIE adds later: keep waiting (the deadline bounds it).
      return { kind: 'pending' };
  }
}

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
