import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { KieRecord } from './types.js';

export interface CallbackDelivery {
  taskId: string;
  url: string;
  status: number | 'error';
  copy: number;
  body: unknown;
  headers: Record<string, string>;
}

/** KIE: X-Webhook-Signature = base64(HMAC-SHA256(taskId + "." + timestampSeconds, webhookHmacKey)). */
export function sign(taskId: string, timestamp: string, hmacKey: string): string {
  return createHmac('sha256', hmacKey).update(`${taskId}.${timestamp}`).digest('base64');
}

export async function postCallback(url: string, rec: KieRecord, hmacKey: string | undefined, copy: number): Promise<CallbackDelivery> {
  const body = {
    code: rec.state === 'success' ? 200 : 501,
    msg: rec.state === 'success' ? 'Playground task completed successfully.' : rec.failMsg,
    data: rec,
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (hmacKey) {
    const ts = String(Math.floor(Date.now() / 1000));
    headers['x-webhook-timestamp'] = ts;
    headers['x-webhook-signature'] = sign(rec.taskId, ts, hmacKey);
  }
  try {
    const res = await request(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    await res.body.dump();
    return { taskId: rec.taskId, url, status: res.statusCode, copy, body, headers };
  } catch {
    // An unreachable callback URL must never take the simulator down.
    return { taskId: rec.taskId, url, status: 'error', copy, body, headers };
  }
}
