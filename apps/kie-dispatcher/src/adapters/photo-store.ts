import type { ObjectStore } from '@neurocards/platform';

/** The product photo's bytes, from the `photos` object store bucket written by bot-gateway. */
export interface PhotoStore {
  /** `null` when the object is gone (expired or never written). */
  get(objectKey: string): Promise<Uint8Array | null>;
}

export function createPhotoStore(os: ObjectStore): PhotoStore {
  return { get: (objectKey) => os.getBlob(objectKey) };
}
