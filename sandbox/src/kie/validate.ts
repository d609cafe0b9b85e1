import type { FieldSpec, ModelSpec } from './models.js';
import { KieError } from './types.js';

/**
 * KIE answers an unknown (or withdrawn) model with `{"code":422,"msg":"The model is not supported"}`,
 * often as HTTP 200 (seen in public clients of api.kie.ai). Parameter errors say "Invalid parameter"
 * and name the field; content refusals speak of content policies: the three never share wording.
 */
export const MODEL_NOT_SUPPORTED = 'The model is not supported';

/** What a validated request becomes: its model, callback and model-specific fields, plus the body as received. */
export interface ValidRequest {
  model: ModelSpec;
  callBackUrl?: string;
  /** `input` (Market) or the body without model/callBackUrl (Veo). */
  fields: Record<string, unknown>;
  prompt: string;
  imageUrls: string[];
  body: Record<string, unknown>;
}

const invalid = (msg: string): KieError => new KieError(422, msg);
const isUrl = (u: unknown): u is string => typeof u === 'string' && /^https?:\/\/[^\s]+$/.test(u);

function checkField(path: string, spec: FieldSpec, v: unknown): void {
  const bad = (what: string): KieError => invalid(`Invalid parameter: ${path} ${what}`);
  switch (spec.type) {
    case 'string':
      if (typeof v !== 'string') throw bad('must be a string');
      if (spec.maxLength !== undefined && v.length > spec.maxLength) throw bad(`must be at most ${spec.maxLength} characters`);
      return;
    case 'enum':
      if (!spec.values.includes(v as string | number)) throw bad(`must be one of: ${spec.values.map((x) => JSON.stringify(x)).join(', ')}`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') throw bad('must be a boolean');
      return;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < spec.min || v > spec.max) throw bad(`must be an integer from ${spec.min} to ${spec.max}`);
      return;
    case 'url':
      if (!isUrl(v)) throw bad('must be a public http(s) URL');
      return;
    case 'urls':
      if (!Array.isArray(v)) throw bad('must be a list of URLs');
      if (v.length < spec.min || v.length > spec.max) throw bad(`must hold ${spec.min === spec.max ? spec.min : `${spec.min} to ${spec.max}`} URL(s)`);
      if (!v.every(isUrl)) throw bad('must contain public http(s) URLs');
      return;
    case 'array':
      if (!Array.isArray(v)) throw bad('must be a list');
      return;
  }
}

/** Checks `fields` against a model: every field known and well-formed, every required one present. */
function checkFields(model: ModelSpec, fields: Record<string, unknown>, prefix: string): void {
  for (const [name, value] of Object.entries(fields)) {
    const spec = model.fields[name];
    if (spec === undefined) throw invalid(`Invalid parameter: ${prefix}${name} is not supported by model ${model.id}`);
    if (value !== undefined && value !== null) checkField(`${prefix}${name}`, spec, value);
  }
  for (const name of model.required) {
    const v = fields[name];
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0)) {
      throw invalid(`Invalid parameter: ${prefix}${name} is required`);
    }
  }
  const cross = model.check?.(fields);
  if (cross !== undefined) throw invalid(cross);
}

function callBack(b: Record<string, unknown>): string | undefined {
  if (b.callBackUrl === undefined || b.callBackUrl === null || b.callBackUrl === '') return undefined;
  if (!isUrl(b.callBackUrl)) throw invalid('Invalid parameter: callBackUrl must be a valid URL');
  return b.callBackUrl;
}

function images(fields: Record<string, unknown>): string[] {
  const list = [fields.image_urls, fields.imageUrls, fields.reference_image_urls].find(Array.isArray) as string[] | undefined;
  const single = [fields.image_url, fields.first_frame_url].filter((u): u is string => typeof u === 'string');
  return [...single, ...(list ?? [])];
}

type Lookup = (id: string) => ModelSpec | undefined;

function modelOf(b: Record<string, unknown>, lookup: Lookup, family: ModelSpec['family']): ModelSpec {
  if (typeof b.model !== 'string' || b.model === '') throw invalid('Invalid parameter: model is required');
  const model = lookup(b.model);
  // A model of the other family is as unknown to this endpoint as a made-up one.
  if (model === undefined || model.family !== family) throw invalid(MODEL_NOT_SUPPORTED);
  return model;
}

/** POST /api/v1/jobs/createTask body: { model, callBackUrl?, input: {...} } (https://docs.kie.ai/market/quickstart). */
export function validateMarket(body: unknown, lookup: Lookup): ValidRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('Invalid parameter: request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const model = modelOf(b, lookup, 'market');
  for (const k of Object.keys(b)) {
    if (k !== 'model' && k !== 'callBackUrl' && k !== 'input') throw invalid(`Invalid parameter: ${k} is not supported`);
  }
  const callBackUrl = callBack(b);
  const input = b.input;
  if (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid('Invalid parameter: input is required');
  const fields = input as Record<string, unknown>;
  checkFields(model, fields, 'input.');
  return { model, ...(callBackUrl ? { callBackUrl } : {}), fields, prompt: String(fields.prompt ?? ''), imageUrls: images(fields), body: b };
}

/** POST /api/v1/veo/generate body (https://docs.kie.ai/veo3-api/generate-veo-3-video); model defaults to veo3_fast. */
export function validateVeo(body: unknown, lookup: Lookup): ValidRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('Invalid parameter: request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const model = modelOf({ ...b, model: b.model ?? 'veo3_fast' }, lookup, 'veo');
  const callBackUrl = callBack(b);
  const fields = Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'model' && k !== 'callBackUrl'));
  checkFields(model, fields, '');
  return { model, ...(callBackUrl ? { callBackUrl } : {}), fields, prompt: String(fields.prompt ?? ''), imageUrls: images(fields), body: b };
}
