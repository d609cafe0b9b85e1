import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sleep } from '../shared/http.js';
import { kieError } from './core.js';
import type { KieCore } from './core.js';
import { record, veoRecord } from './tasks.js';
import type { Task } from './tasks.js';
import { KieError } from './types.js';
import { validateMarket, validateVeo } from './validate.js';

const MIME_BY_EXT: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', mp4: 'video/mp4' };

export interface Upload {
  key: string;
  fileName: string;
  filePath: string;
  bytes: Uint8Array;
  mimeType: string;
  downloadUrl: string;
}

export interface KieRouteDeps {
  root: () => string;
  /** The placeholder result every successful task serves unless `resultVideo` gives another. */
  video: Uint8Array;
  uploads: Map<string, Upload>;
  /** Told of every new task, after its createTask answer is decided (starts its render). Must not throw or block. */
  onTaskCreated?: (task: Task) => void;
  /** The bytes a successful task's result URL serves (its render, when there is one). */
  resultVideo?: (task: Task) => Promise<Uint8Array>;
}

export function registerKieRoutes(app: FastifyInstance, core: KieCore, deps: KieRouteDeps): void {
  const created = (task: Task): Task => {
    try {
      deps.onTaskCreated?.(task);
    } catch (err) {
      app.log.warn({ err, taskId: task.taskId }, 'kie sim: onTaskCreated failed');
    }
    return task;
  };
  const fail = (reply: FastifyReply, err: unknown): FastifyReply => {
    const e = err instanceof KieError ? err : kieError(500);
    if (!(err instanceof KieError)) reply.log.error({ err }, 'kie sim route failed');
    return reply.code(core.behavior.errorsAsHttp200 ? 200 : e.code).send({ code: e.code, msg: e.message, data: null });
  };
  const maybe5xx = (): void => {
    if (core.behavior.serverErrorRate > 0 && Math.random() < core.behavior.serverErrorRate) throw kieError(500);
  };

  // https://docs.kie.ai/market/quickstart: POST /api/v1/jobs/createTask → data.taskId.
  app.post('/api/v1/jobs/createTask', async (req, reply) => {
    try {
      await sleep(core.behavior.requestLatencyMs);
      const { key, account } = core.authorize(req.headers.authorization, 'createTask');
      core.gate(key, account);
      const task = created(core.create(key, account, validateMarket(req.body, core.lookup)));
      return { code: 200, msg: 'success', data: { taskId: task.taskId } };
    } catch (err) {
      return fail(reply, err);
    }
  });

  // https://docs.kie.ai/veo3-api/generate-veo-3-video: POST /api/v1/veo/generate → data.taskId.
  app.post('/api/v1/veo/generate', async (req, reply) => {
    try {
      await sleep(core.behavior.requestLatencyMs);
      const { key, account } = core.authorize(req.headers.authorization, 'createTask');
      core.gate(key, account);
      const task = created(core.create(key, account, validateVeo(req.body, core.lookup)));
      return { code: 200, msg: 'success', data: { taskId: task.taskId } };
    } catch (err) {
      return fail(reply, err);
    }
  });

  /** A task of this family that the key's account owns (KIE does not show one account's tasks to another). */
  const ownTask = (taskId: string | undefined, account: string, family: Task['family']): Task => {
    if (!taskId) throw new KieError(422, 'Invalid parameter: taskId is required');
    const task = core.tasks.get(taskId);
    if (task === undefined || task.account !== account || task.family !== family) throw new KieError(422, 'recordInfo is null');
    return task;
  };

  app.get('/api/v1/jobs/recordInfo', async (req, reply) => {
    try {
      await sleep(core.behavior.requestLatencyMs);
      const { account } = core.authorize(req.headers.authorization, 'recordInfo');
      maybe5xx();
      const task = ownTask((req.query as { taskId?: string }).taskId, account, 'market');
      const now = Date.now();
      const young = now - task.createdAt < core.behavior.recordNullMs;
      return { code: 200, msg: 'success', data: young ? null : record(task, now) };
    } catch (err) {
      return fail(reply, err);
    }
  });

  // https://docs.kie.ai/veo3-api/get-veo-3-video-details: GET /api/v1/veo/record-info?taskId=.
  app.get('/api/v1/veo/record-info', async (req, reply) => {
    try {
      await sleep(core.behavior.requestLatencyMs);
      const { account } = core.authorize(req.headers.authorization, 'recordInfo');
      maybe5xx();
      const task = ownTask((req.query as { taskId?: string }).taskId, account, 'veo');
      const now = Date.now();
      const young = now - task.createdAt < core.behavior.recordNullMs;
      return { code: 200, msg: 'success', data: young ? null : veoRecord(task, now) };
    } catch (err) {
      return fail(reply, err);
    }
  });

  // https://docs.kie.ai/common-api/get-account-credits: one balance per account, whichever key asks.
  app.get('/api/v1/chat/credit', async (req, reply) => {
    try {
      await sleep(core.behavior.requestLatencyMs);
      const { key, account } = core.authorize(req.headers.authorization, 'credit');
      if ((core.behavior.accountErrors[key] ?? core.behavior.accountErrors[account]) === 401) throw kieError(401);
      return { code: 200, msg: 'success', data: core.accounts.creditsOf(account) };
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get('/results/:file', async (req, reply) => {
    const taskId = (req.params as { file: string }).file.replace(/\.mp4$/, '');
    const task = core.tasks.get(taskId);
    if (task === undefined || task.completedAt === undefined || task.outcome !== 'success') return reply.code(404).send('Not Found');
    const bytes = deps.resultVideo ? await deps.resultVideo(task) : deps.video;
    return reply.type('video/mp4').send(Buffer.from(bytes));
  });

  app.post('/api/file-stream-upload', async (req, reply) => {
    const bad = (code: number, msg: string): FastifyReply => reply.code(code).send({ success: false, code, msg, data: null });
    let key: string;
    try {
      key = core.authorize(req.headers.authorization, 'upload').key;
    } catch {
      return bad(401, 'Unauthorized');
    }
    if (!req.isMultipart()) return bad(400, 'Content-Type must be multipart/form-data');
    let file: { bytes: Uint8Array; name: string; mime: string } | undefined;
    const fields: Record<string, string> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname === 'file') file = { bytes: new Uint8Array(await part.toBuffer()), name: part.filename, mime: part.mimetype };
        else await part.toBuffer();
      } else fields[part.fieldname] = String(part.value);
    }
    if (file === undefined || file.bytes.length === 0) return bad(400, 'File is required');
    const uploadPath = (fields.uploadPath ?? '').replace(/^\/+|\/+$/g, '');
    const fileName = (fields.fileName || file.name || `${randomBytes(8).toString('hex')}.bin`).replace(/[/\\]/g, '_');
    const filePath = uploadPath ? `${uploadPath}/${fileName}` : fileName;
    const ext = fileName.split('.').pop()?.toLowerCase() ?? '';
    const mimeType = file.mime && file.mime !== 'application/octet-stream' ? file.mime : (MIME_BY_EXT[ext] ?? 'application/octet-stream');
    const token = randomBytes(6).toString('hex');
    const downloadUrl = `${deps.root()}/tempfile/${token}/${filePath}`;
    deps.uploads.set(`${token}/${filePath}`, { key, fileName, filePath, bytes: file.bytes, mimeType, downloadUrl });
    return {
      success: true,
      code: 200,
      msg: 'File uploaded successfully',
      data: { fileName, filePath, downloadUrl, fileSize: file.bytes.length, mimeType, uploadedAt: new Date().toISOString() },
    };
  });

  app.get('/tempfile/*', async (req, reply) => {
    const upload = deps.uploads.get((req.params as Record<string, string>)['*'] ?? '');
    if (upload === undefined) return reply.code(404).send('Not Found');
    return reply.type(upload.mimeType).send(Buffer.from(upload.bytes));
  });
}
