import type { FastifyRequest } from 'fastify';
import { TgError, badRequest } from './types.js';

export interface UploadedFile {
  bytes: Uint8Array;
  fileName: string;
  mimeType: string;
}
/** A Bot API call's parameters, however they came: query string, JSON, form or multipart. */
export interface Params {
  values: Record<string, unknown>;
  files: Map<string, UploadedFile>;
}

export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024; // Bot API: 50 MB for multipart uploads

export async function readParams(req: FastifyRequest): Promise<Params> {
  const values: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  const files = new Map<string, UploadedFile>();
  if (req.isMultipart()) {
    try {
      for await (const part of req.parts({ limits: { fileSize: MAX_UPLOAD_BYTES } })) {
        if (part.type === 'file') {
          const bytes = new Uint8Array(await part.toBuffer());
          files.set(part.fieldname, { bytes, fileName: part.filename, mimeType: part.mimetype });
        } else {
          values[part.fieldname] = part.value;
        }
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new TgError(413, 'Request Entity Too Large');
      throw err;
    }
  } else if (req.body !== null && typeof req.body === 'object') {
    Object.assign(values, req.body);
  }
  return { values, files };
}

export function str(p: Params, name: string): string | undefined {
  const v = p.values[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function int(p: Params, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid ${name} specified`);
  return n;
}

export function bool(p: Params, name: string): boolean {
  const v = p.values[name];
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** A JSON-serialized parameter (reply_markup, allowed_updates): an object in JSON bodies, a string in forms. */
export function json<T>(p: Params, name: string): T | undefined {
  const v = p.values[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v as T;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw badRequest(`can't parse ${name} JSON object`);
  }
}
