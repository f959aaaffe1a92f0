/**
 * The idempotency port of the embedded backend: keys bound by messages live in the message journal until the archive
 * takes them over with their messages (embedded-messages.ts); keys remembered without a message go to the archive.
 */

import type { EmbeddedMessageStore } from "./embedded-messages.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import type { SqliteArchive } from "./sqlite-archive.js";

export function createEmbeddedIdempotency(archive: SqliteArchive, messages: EmbeddedMessageStore): IdempotencyStore {
  const live = (accountId: string, key: string, notBefore: number) => {
    const record = messages.keyBinding(accountId, key);
    return record !== undefined && record.createdAt > notBefore ? record : undefined;
  };
  return {
    find: async (accountId, key, notBefore) => live(accountId, key, notBefore),
    async remember(record, notBefore) {
      // One process per data folder and no await in here: nothing can take the key between the look and the write.
      const held = live(record.accountId, record.key, notBefore);
      if (held !== undefined) return held;
      archive.idempotency.bind(record);
      return record;
    },
    purge: async (createdBefore) => messages.archived(() => archive.idempotency.purge(createdBefore)),
  };
}
