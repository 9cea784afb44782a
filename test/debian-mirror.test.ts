import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aptMirror, debianMirror, mirrorFromSources } from "../src/foundation/sandbox/docker/debian-mirror.ts";

describe("the Debian mirror of the base image", () => {
  it("reads deb822 .sources, skipping security, updates and disabled stanzas", () => {
    const text = [
      "Types: deb\nURIs: http://security.debian.org/debian-security\nSuites: bookworm-security\nComponents: main",
      "Types: deb\nURIs: http://mirror.corp.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nEnabled: no",
      "Types: deb\nURIs: http://apt.corp.example/debian\nSuites: bookworm bookworm-updates\nComponents: main",
    ].join("\n\n");
    expect(mirrorFromSources(text)).toBe("http://apt.corp.example/debian");
  });

  it("reads one-line sources.list entries, options included", () => {
    const text =
      "# local\ndeb [arch=amd64] http://deb.corp.example/debian bookworm-updates main\ndeb [arch=amd64] http://deb.corp.example/debian bookworm main\n";
    expect(mirrorFromSources(text)).toBe("http://deb.corp.example/debian");
  });

  it("takes the flag first, then BOTTEGA_DEBIAN_MIRROR, then apt's folder", () => {
    const apt = mkdtempSync(join(tmpdir(), "bottega-apt-"));
    mkdirSync(join(apt, "sources.list.d"));
    writeFileSync(join(apt, "sources.list.d", "debian.sources"), "Types: deb\nURIs: http://local.mirror/debian\nSuites: bookworm\n");
    expect(aptMirror(apt)).toBe("http://local.mirror/debian");
    expect(debianMirror("http://flag.mirror/debian")).toEqual({ mirror: "http://flag.mirror/debian", from: "--mirror" });
    process.env.BOTTEGA_DEBIAN_MIRROR = "http://env.mirror/debian";
    try {
      expect(debianMirror()).toEqual({ mirror: "http://env.mirror/debian", from: "BOTTEGA_DEBIAN_MIRROR" });
    } finally {
      delete process.env.BOTTEGA_DEBIAN_MIRROR;
    }
  });
});
