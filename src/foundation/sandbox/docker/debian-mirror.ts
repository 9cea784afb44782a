import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Used when neither the flag, the environment nor this machine's apt names a mirror. */
export const FALLBACK_MIRROR = "http://deb.debian.org/debian";

/**
 * The first Debian archive (not security, not updates) named in apt sources text: deb822
 * `.sources` stanzas (`URIs:` + `Suites:`) and one-line `deb URI SUITE …` entries.
 */
export function mirrorFromSources(text: string): string | undefined {
  const isMain = (uri: string, suites: string) =>
    !/security/.test(uri) && !/-(security|updates|backports)\b/.test(suites.split(/\s+/)[0] ?? "");
  for (const stanza of text.split(/\n\s*\n/)) {
    const uris = /^URIs:\s*(\S+)/im.exec(stanza)?.[1];
    const suites = /^Suites:\s*(.+)$/im.exec(stanza)?.[1] ?? "";
    if (uris && !/^Enabled:\s*no/im.test(stanza) && isMain(uris, suites)) return uris;
  }
  for (const line of text.split("\n")) {
    const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (match && isMain(match[1]!, match[2]!)) return match[1];
  }
  return undefined;
}

/** What apt on this machine uses: /etc/apt/sources.list.d/*.sources, then sources.list(.d/*.list). */
export function aptMirror(aptDir = "/etc/apt"): string | undefined {
  const files: string[] = [];
  try {
    const dir = join(aptDir, "sources.list.d");
    for (const name of readdirSync(dir).sort()) if (name.endsWith(".sources")) files.push(join(dir, name));
    files.push(join(aptDir, "sources.list"));
    for (const name of readdirSync(dir).sort()) if (name.endsWith(".list")) files.push(join(dir, name));
  } catch {
    files.push(join(aptDir, "sources.list"));
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const mirror = mirrorFromSources(text);
    if (mirror) return mirror;
  }
  return undefined;
}

/** The mirror debootstrap uses: the flag, else BOTTEGA_DEBIAN_MIRROR, else apt's, else Debian's CDN. */
export function debianMirror(flag?: string): { mirror: string; from: string } {
  if (flag) return { mirror: flag, from: "--mirror" };
  if (process.env.BOTTEGA_DEBIAN_MIRROR) return { mirror: process.env.BOTTEGA_DEBIAN_MIRROR, from: "BOTTEGA_DEBIAN_MIRROR" };
  const apt = aptMirror();
  return apt ? { mirror: apt, from: "/etc/apt" } : { mirror: FALLBACK_MIRROR, from: "default" };
}
