import type { TelegramSim } from './sim.js';

export interface TgResponse<T = unknown> {
  status: number;
  body: { ok: boolean; result: T; error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

/** Calls a Bot API method over real HTTP with a JSON body (as grammY does). */
export async function call<T = unknown>(sim: TelegramSim, method: string, params: Record<string, unknown> = {}, token = sim.token): Promise<TgResponse<T>> {
  const res = await fetch(`${sim.apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as TgResponse<T>['body'] };
}
