// One stack: read and validate config, build it, export its outputs. The module's value is
// buildStack's result, so every output it returns is exported under its own name (Pulumi takes
// a CommonJS program's module.exports as the stack's outputs) and the list lives only in
// domain/outputs.ts.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config";
import { buildStack } from "./stack";

export = buildStack(readStackConfig(), pulumi.getStack());
