// SPDX-License-Identifier: Apache-2.0
// `fabric-chaincode-node server …` for the basic chaincode, ending on SIGTERM or SIGINT with
// process.exit, so that a server run with `node --cpu-prof` writes its profile when stopped.
'use strict';

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
require('fabric-shim/cli.js');
