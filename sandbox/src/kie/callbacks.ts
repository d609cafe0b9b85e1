import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { KieRecord, VeoRecord } from './types.js';

export interface CallbackDelivery {
  taskId: string;
  url: string;
  status: number | 'error';
  copy: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * https://docs.kie.ai/common-api/webhook-verification: X-Webhook-Signature =
 * base64(HMAC-SHA256(taskId + "." + timestampSeconds, webhookHmacKey)), for every callback of
 * every API (the Veo callback page points to the same guide).
 */
export function sign(taskId: string, timestamp: string, hmacKey: string): string {
  return createHmac('sha256', hmacKey).update(`${taskId}.${timestamp}`).digest('base64');
}

/** Market callback: the recordInfo data under a code (https://docs.kie.ai/market/quickstart). */
export function marketCallbackBody(rec: KieRecord): unknown {
  return {
    code: rec.state === 'success' ? 200 : 501,
    msg: rec.state === 'success' ? 'Playground task completed successfully.' : rec.failMsg,
    data: rec,
  };
}

/**
 * Veo callback (https://docs.kie.ai/veo3-api/generate-veo-3-video-callbacks, the newest page: promptJson
 * is a JSON string there, an object on old-docs.kie.ai): code 200 with data.info.resultUrls, or 400
 * (content policy) / 501 (generation failed) with the reason in msg.
 */
export function veoCallbackBody(rec: VeoRecord): unknown {
  const ok = rec.successFlag === 1 && rec.response !== null;
  return {
    code: ok ? 200 : (rec.errorCode ?? 501),
    msg: ok ? 'Veo3.1 video generated successfully.' : rec.errorMessage,
    data: {
      taskId: rec.taskId,
      promptJson: rec.paramJson,
      info: ok && rec.response ? { resultUrls: rec.response.resultUrls, originUrls: rec.response.originUrls, resolution: rec.response.resolution } : null,
      fallbackFlag: false,
    },
  };
}

export async function postCallback(url: string, taskId: string, body: unknown, hmacKey: string | undefined, copy: number): Promise<CallbackDelivery> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (hmacKey) {
    const ts = String(Math.floor(Date.now() / 1000));
    headers['x-webhook-timestamp'] = ts;
    headers['x-webhook-signature'] = sign(taskId, ts, hmacKey);
  }
  try {
    // KIE waits 15 s for the receiver to answer.
    const res = await request(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    await res.body.dump();
    return { taskId, url, status: res.statusCode, copy, body, headers };
  } catch {
    // An unreachable callback URL must never take the simulator down.
    return { taskId, url, status: 'error', copy, body, headers };
  }
}
