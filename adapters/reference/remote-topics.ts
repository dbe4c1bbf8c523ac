/** Partition counts of topics as the server reports them (Metadata), cached; refreshed on a miss. */
import { type ReferenceClient, ServerError } from "./client/client.js";
import { APIS } from "./protocol/apis.js";

export class TopicDirectory {
  private readonly client: ReferenceClient;
  private readonly counts = new Map<string, number>();

  constructor(client: ReferenceClient) {
    this.client = client;
  }

  async partitions(topic: string): Promise<number> {
    const known = this.counts.get(topic);
    if (known !== undefined) return known;
    await this.refresh();
    const n = this.counts.get(topic);
    if (n === undefined)
      throw new ServerError(3, `topic "${topic}" does not exist on ${this.client.address}`);
    return n;
  }

  async refresh(): Promise<void> {
    const r = await this.client.request(APIS.metadata, {});
    if (r.errorCode !== 0) throw new ServerError(r.errorCode, r.errorMessage);
    this.counts.clear();
    for (const t of r.topics) this.counts.set(t.name, t.partitions);
  }

  forget(topic: string): void {
    this.counts.delete(topic);
  }
}
