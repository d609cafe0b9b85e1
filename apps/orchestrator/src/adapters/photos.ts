import type { ObjectStore } from '@neurocards/platform';

/** Reads product photos that bot-gateway stored in the `photos` object store. */
export interface PhotoStore {
  /** The photo's bytes, or null when the object is gone (e.g. past the bucket's TTL). */
  read(objectKey: string): Promise<Uint8Array | null>;
}

export function objectStorePhotos(os: ObjectStore): PhotoStore {
  return { read: (objectKey) => os.getBlob(objectKey) };
}
