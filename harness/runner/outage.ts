/**
 * An outage (broker crash, connections reset) cuts every client off at once: consumers crash now,
 * producer lanes whose sends fail wait for it to end; when it ends the clients reconnect and go on
 * as new history processes. This module owns whether an outage is under way.
 */
import type { Producer } from "../../adapters/contract.js";
import type { RunClients } from "./clients.js";

export class Outage {
  private current: { readonly over: Promise<void>; readonly end: () => void } | null = null;
  private readonly clients: RunClients;

  constructor(clients: RunClients) {
    this.clients = clients;
  }

  get active(): boolean {
    return this.current !== null;
  }

  async begin(cut: () => Promise<void>): Promise<void> {
    let end!: () => void;
    const over = new Promise<void>((resolve) => {
      end = resolve;
    });
    this.current = { over, end };
    await cut();
    await this.clients.crashAll();
  }

  async end(heal: () => Promise<void>): Promise<void> {
    const current = this.current;
    if (current === null) return;
    try {
      await heal();
      await this.clients.reconnect();
    } finally {
      this.current = null;
      current.end();
    }
  }

  /**
   * For a producer lane whose send failed: during an outage, resolves once it is over with the
   * producer to go on with; otherwise null (the failure takes its usual course).
   */
  async recover(producer: number): Promise<Producer | null> {
    const current = this.current;
    if (current === null) return null;
    await current.over;
    return this.clients.producers[producer] ?? null;
  }
}
