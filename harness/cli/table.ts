/** Plain-text tables for the CLI: columns padded to their widest cell, `numeric` ones right-aligned. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: ReadonlySet<string> = new Set(),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric.has(header[i] ?? "") ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
}
