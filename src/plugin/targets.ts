/** ClawTell addresses in OpenClaw: `tell/bob`, `clawtell:bob`, `clawtell:tell/bob` and `bob` all mean the name `bob`. */

import { CHANNEL_ID } from "./host-runtime.js";

const CHANNEL_PREFIX = `${CHANNEL_ID}:`;

/** The bare name a target means, or `undefined` when it is not a ClawTell name. */
export function normalizeTarget(raw: string): string | undefined {
  let value = raw.trim().toLowerCase();
  if (value.startsWith(CHANNEL_PREFIX)) value = value.slice(CHANNEL_PREFIX.length);
  if (value.startsWith("tell/")) value = value.slice("tell/".length);
  // Names in use on the service are shorter than registration requires at times (e.g. reserved words): accept the shape.
  return /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value) ? value : undefined;
}

/** Whether a raw target looks like a ClawTell address (used by OpenClaw to pick this channel for a bare target). */
export function looksLikeTellTarget(raw: string): boolean {
  const trimmed = raw.trim().toLowerCase();
  return (trimmed.startsWith("tell/") || trimmed.startsWith(CHANNEL_PREFIX)) && normalizeTarget(trimmed) !== undefined;
}

/** `bob` → `tell/bob` for display. */
export const formatTargetDisplay = (name: string): string => `tell/${normalizeTarget(name) ?? name}`;
