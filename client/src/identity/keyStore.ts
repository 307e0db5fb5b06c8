/**
 * Where this browser keeps its identity key at rest: IndexedDB, and only ever the passphrase-wrapped form
 * (WrappedIdentity: Argon2id13 + XChaCha20-Poly1305, made by shared/src/crypto). No plaintext, no message, no
 * group data is written anywhere else by the web client.
 */
import { WrappedIdentity } from '@kindred/shared/protocol';

export interface KeyStore {
  load(): Promise<WrappedIdentity | null>;
  save(wrapped: WrappedIdentity): Promise<void>;
  clear(): Promise<void>;
}

const DB_NAME = 'kindred';
const STORE = 'identity';
const KEY = 'device';
/** The sealed device vault of the kept identity (client/src/vault): removed with the identity it belongs to. */
export const VAULT_RECORD_KEY = 'vault';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** One transaction on the store of this browser's kept records (the wrapped identity, the sealed vault). */
export async function withStore<T>(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = op(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const indexedDbKeyStore: KeyStore = {
  async load() {
    if (typeof indexedDB === 'undefined') return null;
    const raw = await withStore<unknown>('readonly', (s) => s.get(KEY));
    // A damaged or foreign record is treated as absent rather than trusted.
    const parsed = WrappedIdentity.safeParse(raw);
    return parsed.success ? parsed.data : null;
  },
  async save(wrapped) {
    await withStore('readwrite', (s) => s.put(WrappedIdentity.parse(wrapped), KEY));
  },
  async clear() {
    if (typeof indexedDB === 'undefined') return;
    await withStore('readwrite', (s) => s.delete(KEY));
    await withStore('readwrite', (s) => s.delete(VAULT_RECORD_KEY));
  },
};

/** For tests and for browsers without IndexedDB (private windows in some browsers): nothing survives the tab. */
export function memoryKeyStore(): KeyStore {
  let value: WrappedIdentity | null = null;
  return {
    load: () => Promise.resolve(value),
    save: (w) => {
      value = w;
      return Promise.resolve();
    },
    clear: () => {
      value = null;
      return Promise.resolve();
    },
  };
}
