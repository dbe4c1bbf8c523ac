import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml, escapeMarkdownCell } from "./escape.js";

function unescapeHtml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

describe("escapeHtml", () => {
  it("escapes the five characters that start markup or end an attribute", () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;",
    );
  });

  it("leaves no markup character in any string, and loses nothing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const e = escapeHtml(s);
        expect(/[<>"']/.test(e)).toBe(false);
        expect(unescapeHtml(e)).toBe(s);
      }),
    );
  });
});

describe("escapeMarkdownCell", () => {
  it("keeps a cell one cell and one line, with no HTML or links from input", () => {
    expect(escapeMarkdownCell("a|b\nc <img src=x> [l](http://x) *e* `c`")).toBe(
      "a\\|b c &lt;img src=x> \\[l\\](http://x) \\*e\\* \\`c\\`",
    );
  });

  it("never lets an unescaped pipe, newline or < through", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const e = escapeMarkdownCell(s);
        expect(/[\r\n<]/.test(e)).toBe(false);
        // every | is preceded by an odd number of backslashes
        for (const m of e.matchAll(/(\\*)\|/g)) expect((m[1] ?? "").length % 2).toBe(1);
      }),
    );
  });
});
