/** A history line the checkers cannot read: names the line and what is wrong with it. */
export class HistoryParseError extends Error {
  readonly line: number;
  constructor(line: number, problem: string, source = "history") {
    super(`${source}:${line}: ${problem}`);
    this.name = "HistoryParseError";
    this.line = line;
  }
}

/** A file that is not a history at all (binary content that is not the compact encoding). */
export class NotAHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotAHistoryError";
  }
}
