// Its own entry point: importing the protocol would parse schemas (and probe for eval) before this runs.
import { disableSchemaJit } from '@flock/fl-core/schema-jit';

// Imported first by each entry (page and worker), before any module that might parse at load time:
// the coordinator's CSP has no 'unsafe-eval' (see disableSchemaJit).
disableSchemaJit();
