// SPDX-License-Identifier: Apache-2.0
// Field instrument model: dual-loop signal generator, signing meter, reference-set generator.
export {};
