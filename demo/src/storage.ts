// The last run's checkpoint in IndexedDB (works in the page and in the worker), so a run can be
// continued after a reload. One record: the latest completed outer iterate of the latest run.
import type { Checkpoint } from 'alm-rnn';
import type { BackendChoice, CsvSource } from './protocol.ts';

/** What is kept of a run in browser storage. */
export interface SavedRun {
  checkpoint: Checkpoint;
  /** The CSV the run trained on, when it was a user's file. */
  csv?: CsvSource;
  backend: BackendChoice;
  /** Date.now() of the write. */
  savedAt: number;
}

const DB_NAME = 'alm-rnn-demo';
const STORE = 'runs';
const KEY = 'last';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** Whether this browser context has IndexedDB at all. */
export function hasStorage(): boolean {
  return typeof indexedDB !== 'undefined';
}

/** Replaces the saved run. */
export async function saveRun(run: SavedRun): Promise<void> {
  await withStore('readwrite', (s) => s.put(run, KEY));
}

/** The saved run, or undefined. */
export async function loadRun(): Promise<SavedRun | undefined> {
  if (!hasStorage()) return undefined;
  const run = await withStore<SavedRun | undefined>('readonly', (s) => s.get(KEY) as IDBRequest<SavedRun | undefined>);
  return run ?? undefined;
}

/** Forgets the saved run. */
export async function clearRun(): Promise<void> {
  if (!hasStorage()) return;
  await withStore('readwrite', (s) => s.delete(KEY));
}
