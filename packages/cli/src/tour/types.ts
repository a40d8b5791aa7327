/** Context handed to every tour step. */
export interface TourContext {
  /** Folder for artifacts; cached results are reused from here on the next run. */
  artifactsDir: string;
  /** Re-run steps even when cached artifacts exist. */
  fresh: boolean;
  /** Smoke mode (`llm tour --fast`): the smallest settings that still exercise the code path. */
  fast: boolean;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** What a step reports. */
export interface StepResult {
  /** One-line summary for the report table. */
  summary: string;
  /** Numbers worth keeping (scores, speeds), for `--json`. */
  metrics: Record<string, number | string>;
  /** Files the step wrote or reused. */
  artifacts: string[];
  /** Whether cached artifacts were reused. */
  cached: boolean;
}

/** One step of the curriculum tour. */
export interface TourStep {
  id: string;
  /** Curriculum level, 0 for the runtime itself. */
  level: 0 | 1 | 2 | 3 | 4;
  title: string;
  run(ctx: TourContext): Promise<StepResult>;
}

/** A curriculum stage whose package has not landed yet: reported, not run. */
export interface PendingStage {
  level: 1 | 2 | 3 | 4;
  title: string;
  package: string;
  /** Ids of the tour steps that show this stage. */
  steps: readonly string[];
}
