import { openObjectStore, type NatsConnection, type ObjectStore } from '@neurocards/platform';
import { connectTestNats, uniqueName } from '@neurocards/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectStorePhotos } from './photos';

let nc: NatsConnection;
let os: ObjectStore;
const key = uniqueName('orchestrator-photo');

beforeAll(async () => {
  nc = await connectTestNats();
  os = await openObjectStore(nc, 'photos', 1);
});
afterAll(async () => {
  await os?.delete(key).catch(() => undefined);
  await nc?.close();
});

describe('objectStorePhotos', () => {
  it('reads the bytes bot-gateway stored, and null for a missing photo', async () => {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
    await os.putBlob({ name: key }, bytes);
    const photos = objectStorePhotos(os);
    expect([...(await photos.read(key))!]).toEqual([...bytes]);
    expect(await photos.read(uniqueName('missing'))).toBeNull();
  });
});
