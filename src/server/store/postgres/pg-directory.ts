/** The directory port on PostgreSQL: accounts, names and the three per-name lists, each call one statement. */

import { ClawTellError } from "../../../infra/index.js";
import type { CommunicationMode, DeliveryPolicy } from "../../../protocol/index.js";
import { nameLimitText, type AuditEntry, type DirectoryStore } from "../directory-store.js";
import type { AccountRecord, ListEntry, NameRecord } from "../records.js";
import type { Database } from "./pg-database.js";
import { sqlState } from "./pg-errors.js";

/** How long a list read for a policy check is reused; changes made in this process drop it at once. */
export const ENTRY_CACHE_TTL_MS = 2_000;

interface NameRow {
  id: string;
  name: string;
  account_id: string;
  key_prefix: string;
  key_hash: string;
  communication_mode: string;
  delivery_policy: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: string;
}

interface EntryRow {
  id: string;
  entry: string;
  created_at: string;
}

interface AccountRow {
  id: string;
  email: string;
  created_at: string;
}

const toName = (row: NameRow): NameRecord => ({
  id: Number(row.id),
  name: row.name,
  accountId: row.account_id,
  keyPrefix: row.key_prefix,
  keyHash: row.key_hash,
  communicationMode: row.communication_mode as CommunicationMode,
  deliveryPolicy: row.delivery_policy as DeliveryPolicy,
  webhookUrl: row.webhook_url,
  webhookSecret: row.webhook_secret,
  createdAt: Number(row.created_at),
});

interface AuditRow {
  id: string;
  at: string;
  action: string;
  name: string | null;
  actor: string;
  ip: string | null;
  detail: string | null;
}

const toAudit = (row: AuditRow): AuditEntry => ({
  id: Number(row.id),
  at: Number(row.at),
  action: row.action,
  name: row.name,
  actor: row.actor,
  ip: row.ip,
  detail: row.detail,
});

const toEntry = (row: EntryRow): ListEntry => ({ id: row.id, entry: row.entry, createdAt: Number(row.created_at) });
const toAccount = (row: AccountRow): AccountRecord => ({ id: row.id, email: row.email, createdAt: Number(row.created_at) });

export function createPostgresDirectory(db: Database, now: () => number = Date.now): DirectoryStore {
  const entryCache = new Map<string, { entries: Set<string>; readAt: number }>();
  const findName = async (where: string, value: unknown): Promise<NameRecord | undefined> => {
    const [row] = await db.query<NameRow>(`SELECT * FROM names WHERE ${where} = $1`, [value]);
    return row === undefined ? undefined : toName(row);
  };
  const findAccount = async (where: string, value: string): Promise<AccountRecord | undefined> => {
    const [row] = await db.query<AccountRow>(`SELECT * FROM accounts WHERE ${where} = $1`, [value]);
    return row === undefined ? undefined : toAccount(row);
  };

  return {
    findAccountByEmail: (email) => findAccount("email", email),
    findAccountById: (id) => findAccount("id", id),
    async insertAccount(account) {
      // ON CONFLICT waits for a racing creator's transaction, so the read after it sees that account.
      await db.query("INSERT INTO accounts (id, email, created_at) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING", [
        account.id,
        account.email,
        account.createdAt,
      ]);
      const stored = await findAccount("email", account.email);
      if (stored === undefined) throw new ClawTellError("CT_INTERNAL", `the account of ${account.email} was not stored`);
      return stored;
    },
    async insertName(name, limits) {
      const max = limits?.maxNamesPerAccount;
      const values = [name.name, name.accountId, name.keyPrefix, name.keyHash, name.communicationMode, name.deliveryPolicy, name.webhookUrl, name.webhookSecret, name.createdAt];
      const insert = `INSERT INTO names (name, account_id, key_prefix, key_hash, communication_mode, delivery_policy, webhook_url,
           webhook_secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`;
      try {
        const id = await db.transaction(async (client) => {
          if (max !== undefined) {
            // The account's row lock makes inserts for one account take turns. The count is a statement of its own,
            // after the lock: its snapshot (READ COMMITTED) then sees the names the one before committed.
            await client.query("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", [name.accountId]);
            const { rows } = await client.query<{ email: string; owned: string }>(
              `SELECT a.email, (SELECT COUNT(*) FROM names n WHERE n.account_id = a.id AND n.name NOT LIKE '#%') AS owned
               FROM accounts a WHERE a.id = $1`,
              [name.accountId],
            );
            const account = rows[0];
            const owned = Number(account?.owned ?? 0);
            if (account !== undefined && owned >= max) throw new ClawTellError("CT_FORBIDDEN", nameLimitText(account.email, owned, max), { field: "email" });
          }
          const { rows } = await client.query<{ id: string }>(insert, values);
          return rows[0]?.id;
        });
        if (id === undefined) throw new ClawTellError("CT_INTERNAL", `the name ${name.name} was not stored`);
        return { ...name, id: Number(id) };
      } catch (err) {
        if (sqlState(err) === "23505" && err instanceof Error && "constraint" in err && err.constraint === "names_name_key") {
          throw new ClawTellError("CT_CONFLICT", `name "${name.name}" is already taken`, { field: "name", cause: err });
        }
        throw err;
      }
    },
    findNameByName: (name) => findName("name", name),
    findNameByKeyPrefix: (prefix) => findName("key_prefix", prefix),
    async listNamesOfAccount(accountId) {
      return (await db.query<NameRow>("SELECT * FROM names WHERE account_id = $1 AND name NOT LIKE '#%' ORDER BY id", [accountId])).map(toName);
    },
    async updateNameSettings(nameId, settings) {
      // Each setting is one column; COALESCE keeps the columns not given (webhooks may be set to null explicitly).
      const [row] = await db.query<NameRow>(
        `UPDATE names SET
           communication_mode = COALESCE($2, communication_mode),
           delivery_policy = COALESCE($3, delivery_policy),
           webhook_url = CASE WHEN $4::boolean THEN $5 ELSE webhook_url END,
           webhook_secret = CASE WHEN $6::boolean THEN $7 ELSE webhook_secret END
         WHERE id = $1 RETURNING *`,
        [
          nameId,
          settings.communicationMode ?? null,
          settings.deliveryPolicy ?? null,
          settings.webhookUrl !== undefined,
          settings.webhookUrl ?? null,
          settings.webhookSecret !== undefined,
          settings.webhookSecret ?? null,
        ],
      );
      if (row === undefined) throw new ClawTellError("CT_NOT_FOUND", "name not found");
      return toName(row);
    },

    async listEntries(nameId, kind) {
      return (
        await db.query<EntryRow>("SELECT id, entry, created_at FROM list_entries WHERE name_id = $1 AND kind = $2 ORDER BY created_at, entry", [
          nameId,
          kind,
        ])
      ).map(toEntry);
    },
    async hasEntry(nameId, kind, entry) {
      // Asked on every send; a list changes rarely. Another process's change is seen within ENTRY_CACHE_TTL_MS.
      const key = `${nameId}:${kind}`;
      let cached = entryCache.get(key);
      if (cached === undefined || now() - cached.readAt >= ENTRY_CACHE_TTL_MS) {
        const rows = await db.query<{ entry: string }>("SELECT entry FROM list_entries WHERE name_id = $1 AND kind = $2", [nameId, kind]);
        cached = { entries: new Set(rows.map((r) => r.entry)), readAt: now() };
        entryCache.set(key, cached);
      }
      return cached.entries.has(entry);
    },
    async addEntry(nameId, kind, entry) {
      entryCache.delete(`${nameId}:${kind}`);
      await db.query(
        "INSERT INTO list_entries (name_id, kind, entry, id, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        [nameId, kind, entry.entry, entry.id, entry.createdAt],
      );
      const [row] = await db.query<EntryRow>("SELECT id, entry, created_at FROM list_entries WHERE name_id = $1 AND kind = $2 AND entry = $3", [
        nameId,
        kind,
        entry.entry,
      ]);
      if (row === undefined) throw new ClawTellError("CT_NOT_FOUND", "name not found");
      return toEntry(row);
    },
    async removeEntry(nameId, kind, entry) {
      entryCache.delete(`${nameId}:${kind}`);
      const rows = await db.query("DELETE FROM list_entries WHERE name_id = $1 AND kind = $2 AND entry = $3 RETURNING id", [nameId, kind, entry]);
      return rows.length > 0;
    },

    async replaceNameKey(nameId, keyPrefix, keyHash) {
      const [row] = await db.query<NameRow>("UPDATE names SET key_prefix = $2, key_hash = $3 WHERE id = $1 RETURNING *", [nameId, keyPrefix, keyHash]);
      if (row === undefined) throw new ClawTellError("CT_NOT_FOUND", "name not found");
      return toName(row);
    },
    async listNames(filter) {
      const [where, args] =
        filter.accountId !== undefined ? ["AND n.account_id = $1", [filter.accountId]] : filter.email !== undefined ? ["AND a.email = $1", [filter.email]] : ["", []];
      const rows = await db.query<NameRow & { email: string }>(
        `SELECT n.*, a.email AS email FROM names n JOIN accounts a ON a.id = n.account_id WHERE n.name NOT LIKE '#%' ${where} ORDER BY n.name`,
        args,
      );
      return rows.map((row) => ({ ...toName(row), email: row.email }));
    },
    async deleteName(nameId) {
      // One statement, so one transaction: the name's messages with their files (records and bytes), its lists and
      // the entries naming it, and the row made a tombstone.
      const [row] = await db.query<{ found: string; messages: string; files: string }>(
        `WITH target AS (SELECT id, name FROM names WHERE id = $1 AND name NOT LIKE '#%'),
           f AS (DELETE FROM files WHERE recipient_id IN (SELECT id FROM target) RETURNING file_id),
           fc AS (DELETE FROM file_contents WHERE file_id IN (SELECT file_id FROM f)),
           m AS (DELETE FROM messages WHERE recipient_id IN (SELECT id FROM target) RETURNING id),
           l AS (DELETE FROM list_entries WHERE name_id IN (SELECT id FROM target) OR entry IN (SELECT name FROM target)),
           pt AS (DELETE FROM profile_terms WHERE name_id IN (SELECT id FROM target)),
           p AS (DELETE FROM profiles WHERE name_id IN (SELECT id FROM target)),
           u AS (UPDATE names SET name = '#deleted:' || id, key_prefix = '#deleted:' || id, key_hash = '!', webhook_url = NULL,
                   webhook_secret = NULL WHERE id IN (SELECT id FROM target) RETURNING id)
         SELECT (SELECT count(*) FROM u) AS found, (SELECT count(*) FROM m) AS messages, (SELECT count(*) FROM f) AS files`,
        [nameId],
      );
      if (row === undefined || Number(row.found) === 0) throw new ClawTellError("CT_NOT_FOUND", "name not found");
      entryCache.clear();
      return { messages: Number(row.messages), files: Number(row.files) };
    },
    async appendAudit(entry) {
      await db.query("INSERT INTO audit_log (at, action, name, actor, ip, detail) VALUES ($1, $2, $3, $4, $5, $6)", [
        entry.at,
        entry.action,
        entry.name,
        entry.actor,
        entry.ip,
        entry.detail,
      ]);
    },
    async listAudit(query) {
      const rows =
        query.name === undefined
          ? await db.query<AuditRow>("SELECT * FROM audit_log ORDER BY id DESC LIMIT $1", [query.limit])
          : await db.query<AuditRow>("SELECT * FROM audit_log WHERE name = $1 ORDER BY id DESC LIMIT $2", [query.name, query.limit]);
      return rows.map(toAudit);
    },
  };
}
