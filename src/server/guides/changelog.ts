/**
 * CHANGELOG.md as data: `## <version> — <date or "unreleased">` starts a release, `### <title>` a group of changes,
 * `- ` a change (lines indented under it continue it). What comes before the first release is the preamble.
 */

export interface ChangelogGroup {
  readonly title: string;
  readonly changes: string[];
}

export interface ChangelogRelease {
  readonly version: string;
  /** `YYYY-MM-DD`, or null while unreleased. */
  readonly date: string | null;
  readonly groups: ChangelogGroup[];
}

const RELEASE = /^##\s+v?(\S+)(?:\s+[—–-]\s+(.+?))?\s*$/;
const GROUP = /^###\s+(.+?)\s*$/;
const CHANGE = /^[-*]\s+(.*)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseChangelog(markdown: string): ChangelogRelease[] {
  const releases: ChangelogRelease[] = [];
  let release: ChangelogRelease | undefined;
  let group: ChangelogGroup | undefined;
  let change: string[] | undefined;
  const endChange = (): void => {
    if (change !== undefined && group !== undefined) group.changes.push(change.join(" "));
    change = undefined;
  };
  for (const raw of markdown.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const r = RELEASE.exec(line);
    if (r !== null) {
      endChange();
      const date = r[2]?.trim() ?? "";
      release = { version: r[1] ?? "", date: DATE.test(date) ? date : null, groups: [] };
      releases.push(release);
      group = undefined;
      continue;
    }
    if (release === undefined) continue;
    const g = GROUP.exec(line);
    if (g !== null) {
      endChange();
      group = { title: g[1] ?? "", changes: [] };
      release.groups.push(group);
      continue;
    }
    const c = CHANGE.exec(line);
    if (c !== null) {
      endChange();
      if (group === undefined) {
        group = { title: "Changes", changes: [] };
        release.groups.push(group);
      }
      change = [c[1] ?? ""];
      continue;
    }
    if (change !== undefined && /^\s+\S/.test(line)) change.push(line.trim());
    else endChange();
  }
  endChange();
  return releases;
}
