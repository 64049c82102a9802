// SPDX-License-Identifier: Apache-2.0
export type ScenarioErrorCode =
  | 'SETUP_REFUSED'    // the network's governance state forbids the run (e.g. the LR version was withdrawn)
  | 'METER_CONFLICT';  // a meter id of the plan is registered on the network as another meter

/** The main job cannot run on the network as it is. */
export class ScenarioError extends Error {
  readonly code: ScenarioErrorCode;

  constructor(code: ScenarioErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScenarioError';
    this.code = code;
  }
}
