/**
 * Every scenario `npm run bench` knows, by name (`--scenario NAME`, several allowed). To add one:
 * a module in this folder exporting a `Scenario` (../types.ts), listed here. Order is run order.
 */
import type { Scenario } from "../types";
import { crowdScenario } from "./crowd";
import { fanoutScenario } from "./fanout";
import { feedScenario } from "./feed";
import { memoryScenario } from "./memory";
import { nodesScenario } from "./nodes";
import { replicationScenario } from "./replication";
import { uiScenario } from "./ui";
import { writesScenario } from "./writes";

export const scenarios: Scenario[] = [writesScenario, fanoutScenario, feedScenario, memoryScenario, nodesScenario, crowdScenario, uiScenario, replicationScenario];
