/**
 * What a tab still holds that someone could find: the DOM (text, attributes and form values), the title, Web
 * Storage and IndexedDB. Read through page.evaluate, i.e. exactly what the page itself could read.
 */
import type { Page } from 'playwright-core';

export interface IdbRecord {
  db: string;
  store: string;
  key: string;
  /** JSON of the stored value. */
  value: string;
}

/** Everything visible to someone opening the tab's developer tools, as one string (DOM, form values, title). */
export function domText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const values = [...document.querySelectorAll('input, textarea, select')].map((el) => (el as HTMLInputElement).value);
    return [document.title, document.documentElement.outerHTML, ...values].join('\n');
  });
}

/** Every key and value of sessionStorage and localStorage. */
export function webStorage(page: Page): Promise<{ session: Record<string, string>; local: Record<string, string> }> {
  return page.evaluate(() => {
    const dump = (s: Storage) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => s.key(i) ?? '').map((k) => [k, s.getItem(k) ?? '']));
    return { session: dump(sessionStorage), local: dump(localStorage) };
  });
}

/** Every record of every IndexedDB database of the page's origin. */
export function indexedDbRecords(page: Page): Promise<IdbRecord[]> {
  return page.evaluate(async () => {
    const asPromise = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const out: IdbRecord[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await asPromise(indexedDB.open(info.name));
      try {
        for (const store of [...db.objectStoreNames]) {
          const tx = db.transaction(store, 'readonly');
          const keys = await asPromise(tx.objectStore(store).getAllKeys());
          const values = await asPromise(tx.objectStore(store).getAll());
          keys.forEach((k, i) => out.push({ db: info.name as string, store, key: String(k), value: JSON.stringify(values[i]) }));
        }
      } finally {
        db.close();
      }
    }
    return out;
  });
}

/** Which of `needles` the tab still holds anywhere (DOM, title, form values, Web Storage, IndexedDB). */
export async function tracesOf(page: Page, needles: readonly string[]): Promise<string[]> {
  const storage = await webStorage(page);
  const idb = await indexedDbRecords(page);
  const haystack = [await domText(page), JSON.stringify(storage), JSON.stringify(idb)].join('\n');
  return needles.filter((n) => haystack.includes(n));
}
