/**
 * Escaping for everything that came from input (run ids, workload and adapter names, error text,
 * witness lines): HTML text and attributes, and Markdown table cells.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Safe in HTML text and in quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Safe in one Markdown table cell (GitHub flavour): no cell breaks, no line breaks, no inline HTML,
 * no emphasis, links or code spans started by input.
 */
export function escapeMarkdownCell(s: string): string {
  return s
    .replace(/\r\n|\r|\n/g, " ")
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;");
}
