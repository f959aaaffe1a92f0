/**
 * Wake-ups for idle long polls and streams: the port (notify/port.ts) and the factory choosing in-process, Redis
 * pub/sub or PostgreSQL `LISTEN/NOTIFY` (notify/create-notifier.ts).
 */

export type { Notifier } from "./notify/port.js";
export { createNotifier, DEFAULT_CHANNEL, type NotifierOptions } from "./notify/create-notifier.js";
