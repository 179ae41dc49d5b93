/**
 * The part of pouchdb-browser 9 this bench uses. @types/pouchdb-browser is not used: its @types/pouchdb-core
 * declares a global `Buffer` interface that merges with Node's and breaks the typecheck of the Node benches.
 */
declare module 'pouchdb-browser' {
  type Doc = { _id: string; _rev?: string } & Record<string, unknown>;

  interface QueryOptions {
    reduce?: boolean;
    group?: boolean;
    key?: unknown;
    startkey?: unknown;
    endkey?: unknown;
    limit?: number;
  }
  interface QueryResult {
    rows: { key: unknown; value: unknown; id?: string }[];
  }
  interface AllDocsOptions {
    include_docs?: boolean;
    startkey?: string;
    endkey?: string;
  }
  interface ReplicationResult {
    docs_written: number;
    docs_read: number;
    ok: boolean;
  }
  interface SyncResult {
    push?: ReplicationResult;
    pull?: ReplicationResult;
  }

  class PouchDB {
    constructor(name: string);
    /** The adapter in use ('idb' for pouchdb-browser's IndexedDB adapter). */
    readonly adapter: string;
    bulkDocs(docs: Doc[]): Promise<unknown[]>;
    put(doc: Doc): Promise<unknown>;
    get(id: string): Promise<Doc>;
    query(view: string, options?: QueryOptions): Promise<QueryResult>;
    allDocs(options?: AllDocsOptions): Promise<{ rows: { id: string; doc?: Doc }[] }>;
    info(): Promise<{ doc_count: number; update_seq: number | string }>;
    close(): Promise<void>;
    static sync(a: PouchDB, b: PouchDB, options?: { batch_size?: number }): Promise<SyncResult>;
  }
  export default PouchDB;
}
