/** Hash routes (`#/names/bob`), so every page is served by the one `index.html` and a reload keeps the page. */

import { useEffect, useState } from "preact/hooks";

export type Route =
  | { readonly page: "names"; readonly name: string | undefined }
  | { readonly page: "messages"; readonly name: string | undefined; readonly box: "inbox" | "outbox"; readonly id: string | undefined }
  | { readonly page: "approvals" }
  | { readonly page: "activity" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  switch (parts[0]) {
    case "messages":
      return { page: "messages", name: parts[1] || undefined, box: parts[2] === "outbox" ? "outbox" : "inbox", id: parts[3] || undefined };
    case "approvals":
      return { page: "approvals" };
    case "activity":
      return { page: "activity" };
    default:
      return { page: "names", name: parts[1] || undefined };
  }
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case "names":
      return route.name === undefined ? "#/names" : `#/names/${encodeURIComponent(route.name)}`;
    case "messages": {
      const base = `#/messages/${encodeURIComponent(route.name ?? "")}/${route.box}`;
      return route.id === undefined ? base : `${base}/${encodeURIComponent(route.id)}`;
    }
    case "approvals":
      return "#/approvals";
    case "activity":
      return "#/activity";
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
