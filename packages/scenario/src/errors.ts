// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';
export type ScenarioErrorCode =
  | 'SETUP_REFUSED' // the network's governance state forbids the run (e.g. the LR version was withdrawn)
  | 'METER_CONFLICT'; // a meter id of the plan is registered on the network as another meter

/** The main job cannot run on the network as it is. */
export class ScenarioError extends MetroledgerError<ScenarioErrorCode> {
  constructor(code: ScenarioErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
  }
}
