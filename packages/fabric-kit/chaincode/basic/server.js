// SPDX-License-Identifier: Apache-2.0
// `fabric-chaincode-node server …` for the basic chaincode, on the same runtime as metroledger's own
// chaincode servers, so the lean bench compares the chaincodes' work and not their logging:
// @metroledger/chaincode-host's fabric loader first (fabric-shim's debug messages are no longer
// formatted by winston only to be dropped; each creator certificate is parsed once). It ends on
// SIGTERM or SIGINT with process.exit, so that a server run with `node --cpu-prof` writes its profile.
'use strict';

require('@metroledger/chaincode-host/fabric');
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
require('fabric-shim/cli.js');
