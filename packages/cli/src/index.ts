/**
 * `@llm/cli`: the `llm` command. Use {@link main} to run it in-process, or {@link buildProgram}
 * to extend it.
 *
 * @packageDocumentation
 */
export { buildProgram, main, CLI_VERSION } from './program.js';
export type { TourContext, TourStep, StepResult, PendingStage } from './tour/types.js';
export { TOUR_STEPS, PENDING_STAGES } from './tour/steps.js';
