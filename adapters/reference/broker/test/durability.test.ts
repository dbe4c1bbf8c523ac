import { MemoryLogFactory } from "../../storage/memory-log-factory.js";
import { describeBrokerDurability } from "./durability.suite.js";

describeBrokerDurability("memory logs", { make: () => new MemoryLogFactory() });
