/** One benchmark: `run` prints its figures (with units) and returns them for the summary. */
export interface Benchmark {
  readonly name: string;
  readonly describe: string;
  run(): Promise<Readonly<Record<string, number | string>>>;
}
