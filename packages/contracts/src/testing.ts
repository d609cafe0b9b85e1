import type { EventData, Subject } from './catalog';

const orderId = '0b6f5a8e-3d1c-4a5e-9f7b-1c2d3e4f5a6b';
const jobId = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const chat = { userId: 111222333, chatId: 111222333, locale: 'ru' as const };
const photo = {
  objectKey: 'AgADBAADq6cxG',
  mimeType: 'image/jpeg' as const,
  sizeBytes: 245_000,
  fileUniqueId: 'AgADBAADq6cxG',
};
const job = { ...chat, orderId, jobId, index: 2, count: 3 as const };

/** One valid example per subject; contract tests and other packages' tests reuse them. */
export const validFixtures: { [S in Subject]: EventData<S> } = {
  'orders.order.placed.v1': {
    ...chat,
    orderId,
    template: 'ugc',
    wishes: 'Покажи в руках',
    count: 3,
    photo,
    spec: { model: 'kling-3.0/video', aspectRatio: 'portrait', duration: 5 },
    creditsPerVideo: 2,
  },
  'billing.credits.reserved.v1': { ...chat, orderId, amount: 3, balance: 7 },
  'billing.credits.rejected.v1': {
    ...chat,
    orderId,
    requested: 5,
    balance: 2,
    reason: 'insufficient_credits',
  },
  'billing.credits.captured.v1': { orderId, jobId, userId: chat.userId, amount: 1, balance: 7 },
  'billing.credits.refunded.v1': {
    orderId,
    jobId,
    userId: chat.userId,
    amount: 1,
    balance: 8,
    reason: 'exhausted',
  },
  'billing.credits.granted.v1': {
    grantId: 'grant-1-42',
    userId: chat.userId,
    amount: 10,
    balance: 10,
    grantedBy: 42,
  },
  'jobs.prompt.requested.v1': job,
  'jobs.prompt.ready.v1': { ...job, prompt: 'A person holds the product and smiles', source: 'openai' },
  'jobs.generation.started.v1': { ...chat, orderId, count: 3 },
  'jobs.video.ready.v1': { ...job, videoUrl: 'https://tempfile.example/video.mp4' },
  'jobs.video.delivered.v1': job,
  'jobs.video.failed.v1': { ...job, reason: 'user_violation', detail: 'content policy' },
  'jobs.order.completed.v1': { ...chat, orderId, count: 3, delivered: 2, failed: 1 },
  'kie.task.submit.v1': {
    orderId,
    jobId,
    prompt: 'A person holds the product',
    photo,
    aspectRatio: 'portrait',
    model: 'veo3_fast',
    duration: 8,
  },
  'kie.task.submitted.v1': { orderId, jobId, attempt: 1, taskId: 'task_abc', keyName: 'main' },
  'kie.task.succeeded.v1': {
    orderId,
    jobId,
    attempt: 1,
    taskId: 'task_abc',
    videoUrls: ['https://tempfile.example/video.mp4'],
  },
  'kie.task.failed.v1': {
    orderId,
    jobId,
    attempt: 3,
    taskId: 'task_abc',
    reason: 'exhausted',
    lastErrorClass: 'transient',
    code: 500,
    message: 'Internal error',
  },
  'kie.key.blocked.v1': {
    keyName: 'main',
    code: 402,
    message: 'Insufficient credits',
    until: '2026-11-25T20:00:00.000Z',
    allKeysBlocked: true,
    account: 'main',
    scope: 'account',
  },
  'kie.model.unavailable.v1': {
    model: 'sora-2-image-to-video',
    account: 'main',
    code: 422,
    message: 'model not supported',
    stillOffered: false,
  },
  'kie.credits.low.v1': { account: 'main', credits: 120.5, threshold: 500 },
  'kie.credits.recovered.v1': { account: 'main', credits: 2000, threshold: 500 },
  'notify.video.sent.v1': { orderId, jobId, chatId: chat.chatId, messageId: 501 },
  'notify.video.undeliverable.v1': { orderId, jobId, chatId: chat.chatId, reason: 'Forbidden: bot was blocked by the user' },
  'telegram.update.received.v1': {
    botId: 7000000001,
    update: { update_id: 42, message: { message_id: 1, date: 1700000000, chat: { id: 1, type: 'private' }, text: '/start' } },
  },
};

/** Broken examples per subject: each must be rejected by the subject's schema. */
export const invalidFixtures: { [S in Subject]: unknown[] } = {
  'orders.order.placed.v1': [
    { ...validFixtures['orders.order.placed.v1'], count: 2 },
    { ...validFixtures['orders.order.placed.v1'], creditsPerVideo: 0 },
    { ...validFixtures['orders.order.placed.v1'], spec: { model: 'veo3', aspectRatio: '1:1', duration: 8 } },
    { ...validFixtures['orders.order.placed.v1'], wishes: 'x'.repeat(1001) },
    { ...validFixtures['orders.order.placed.v1'], photo: { ...photo, mimeType: 'image/gif' } },
    { ...validFixtures['orders.order.placed.v1'], photo: { ...photo, sizeBytes: 11 * 1024 * 1024 } },
  ],
  'billing.credits.reserved.v1': [{ ...validFixtures['billing.credits.reserved.v1'], balance: -1 }],
  'billing.credits.rejected.v1': [{ ...validFixtures['billing.credits.rejected.v1'], reason: 'other' }],
  'billing.credits.captured.v1': [{ ...validFixtures['billing.credits.captured.v1'], amount: 0 }],
  'billing.credits.refunded.v1': [{ ...validFixtures['billing.credits.refunded.v1'], reason: 'transient' }],
  'billing.credits.granted.v1': [{ ...validFixtures['billing.credits.granted.v1'], amount: -5 }],
  'jobs.prompt.requested.v1': [{ ...job, index: 0 }],
  'jobs.prompt.ready.v1': [{ ...job, prompt: '', source: 'openai' }],
  'jobs.generation.started.v1': [{ ...chat, orderId, count: 4 }],
  'jobs.video.ready.v1': [{ ...job, videoUrl: 'not a url' }],
  'jobs.video.delivered.v1': [{ ...job, chatId: 'abc' }],
  'jobs.video.failed.v1': [{ ...job, reason: 'rate_limited' }],
  'jobs.order.completed.v1': [{ ...chat, orderId, count: 3, delivered: -1, failed: 0 }],
  'kie.task.submit.v1': [
    { ...validFixtures['kie.task.submit.v1'], prompt: 'x'.repeat(10_001) },
    { ...validFixtures['kie.task.submit.v1'], aspectRatio: '9:16' },
    { ...validFixtures['kie.task.submit.v1'], model: 'bad model id' },
  ],
  'kie.task.submitted.v1': [{ ...validFixtures['kie.task.submitted.v1'], attempt: 0 }],
  'kie.task.succeeded.v1': [{ ...validFixtures['kie.task.succeeded.v1'], videoUrls: [] }],
  'kie.task.failed.v1': [{ ...validFixtures['kie.task.failed.v1'], reason: 'transient' }],
  'kie.key.blocked.v1': [
    { ...validFixtures['kie.key.blocked.v1'], until: 'tomorrow' },
    { ...validFixtures['kie.key.blocked.v1'], scope: 'everything' },
  ],
  'kie.model.unavailable.v1': [
    { ...validFixtures['kie.model.unavailable.v1'], model: '' },
    { ...validFixtures['kie.model.unavailable.v1'], account: 'a b' },
  ],
  'kie.credits.low.v1': [{ account: 'main', credits: '12', threshold: 500 }],
  'kie.credits.recovered.v1': [{ account: 'main', threshold: 500 }],
  'notify.video.sent.v1': [{ ...validFixtures['notify.video.sent.v1'], messageId: 1.5 }],
  'notify.video.undeliverable.v1': [{ ...validFixtures['notify.video.undeliverable.v1'], reason: '' }],
  'telegram.update.received.v1': [
    { botId: 7000000001, update: { message: {} } },
    { botId: 7000000001, update: { update_id: -1 } },
    { update: { update_id: 1 } },
  ],
};
