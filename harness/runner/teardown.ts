/**
 * Phase 6 (it runs before the verdict, whatever happened): faults end, the last second is sampled,
 * every client is closed and the run's topics deleted, the history is flushed, the infrastructure
 * stopped. Best effort: the run's outcome is already known.
 */
import { wallMs } from "../../core/clock.js";
import type { RunSession } from "./setup.js";

export async function teardown(session: RunSession): Promise<void> {
  const { monitor, faults, metrics, clients, log, recorder, infrastructure } = session;
  monitor.stop();
  session.producing.active = false;
  await faults?.stop();
  metrics.sample(wallMs());
  for (const c of clients.allLoops()) for (const line of c.warnings) log.warn(line);
  await clients.close();
  await recorder?.close();
  await infrastructure.stop();
}
