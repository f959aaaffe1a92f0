/**
 * Live updates: the session's view-only notification stream (`GET /api/dashboard/events`). Each `changed` event bumps
 * a counter that pages reload on; no message is handed out, so the agents' own polls and streams are untouched.
 * EventSource reconnects by itself when the server ends the stream.
 */

import { useEffect, useState } from "preact/hooks";
import { DASHBOARD_EVENTS_PATH } from "../protocol/dashboard.js";

export function useLiveVersion(enabled: boolean): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!enabled) return undefined;
    const source = new EventSource(DASHBOARD_EVENTS_PATH);
    const onChanged = (): void => setVersion((v) => v + 1);
    source.addEventListener("changed", onChanged);
    return () => {
      source.removeEventListener("changed", onChanged);
      source.close();
    };
  }, [enabled]);
  return version;
}
