import { dataSubcommand } from '../data/dataSubcommand';
import { doctorSubcommand } from '../doctor/doctorSubcommand';
import { gpuSubcommand } from '../gpu/gpuSubcommand';
import { askSubcommand } from '../headless/askSubcommand';
import { modelCardSubcommand } from '../modelCard/modelCardSubcommand';
import { jobsSubcommand, submitSubcommand } from '../jobs/jobsSubcommand';
import { mcpSubcommand } from '../mcp/mcpSubcommand';
import { compareModelsSubcommand } from '../models/compare/compareSubcommand';
import { inspectSubcommand } from '../models/inspectSubcommand';
import { driftSubcommand } from '../monitoring/driftSubcommand';
import { runsSubcommand } from '../tracking/runsSubcommand';
import { studiesSubcommand } from '../studies/studiesSubcommand';
import { registrySubcommand } from '../tracking/registry/registrySubcommand';
import type { Subcommand } from './subcommand';

/** Every `ml-engineer` subcommand, in the order `--help` lists them. */
export const SUBCOMMANDS: readonly Subcommand[] = [doctorSubcommand, gpuSubcommand, runsSubcommand, studiesSubcommand, registrySubcommand, inspectSubcommand, dataSubcommand, driftSubcommand, compareModelsSubcommand, modelCardSubcommand, jobsSubcommand, submitSubcommand, mcpSubcommand, askSubcommand];
