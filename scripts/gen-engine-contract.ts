// Writes the engine's contract.py from domain/ (see userdata/engineContract.ts).
import { writeFileSync } from "node:fs";
import { ENGINE_CONTRACT_PATH, renderEngineContract } from "../userdata/engineContract";

writeFileSync(ENGINE_CONTRACT_PATH, renderEngineContract());
console.log(`wrote ${ENGINE_CONTRACT_PATH}`);
