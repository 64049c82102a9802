// SPDX-License-Identifier: Apache-2.0
import { MetroledgerError } from '@metroledger/errors';

export type AuditErrorCode =
  | 'BAD_OPTION' // an option or a policy/config file that cannot be used
  | 'BAD_CHECKPOINT' // the checkpoint file does not parse, or belongs to another channel/ledger
  | 'NO_LEDGER' // the source holds no block files / no blocks at all
  | 'NO_GENESIS' // the first block of a fresh audit is not a config (genesis) block
  | 'SOURCE' // the block source failed (I/O, Deliver stream)
  | 'WORKER' // a verification worker died
  | 'LR_PACKAGE_INVALID' // an LR package (--lr-package) that cannot be read, is not a node package, or holds no usable LR software
  | 'LR_PACKAGE_NOT_APPROVED'; // an LR package whose package id and code digest the notified body never approved on the audited ledger

/** The only error class of @metroledger/audit; callers branch on `code`. Tampering is a finding, never an error. */
export class AuditError extends MetroledgerError<AuditErrorCode> {}
