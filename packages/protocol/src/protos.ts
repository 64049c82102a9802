// SPDX-License-Identifier: Apache-2.0
// The Fabric protobuf classes this package decodes untrusted bytes with, from one place that first
// hardens google-protobuf's decoder.
//
// google-protobuf 3.21 (under @hyperledger/fabric-protos) decodes a string field without checking
// its declared length against the buffer: a string claiming 4 GB in an 80-byte message makes the
// decoder loop four billion times (about 14 s of CPU here) before it reports the error. Channel and
// transaction ids, MSP ids, chaincode names and state keys are all strings, so a few crafted bytes
// could stall a peer, an orderer or a gateway. The guard makes such a string fail at once, as a
// bytes field already does; the callers turn the failure into their typed error as before.
// It patches the process-wide decoder, so every decode in a process that loads this package
// (including grpc-js's, and other packages' direct deserializeBinary calls) is covered.
export { common, ledger, msp, orderer, peer } from '@hyperledger/fabric-protos';

interface Decoder {
  getCursor(): number;
  getEnd(): number;
}
type ReadString = ((this: Decoder, length: number) => string) & { lengthChecked?: true };

const { jspb } = require('google-protobuf') as { jspb: { BinaryDecoder: { prototype: Record<string, unknown> } } };
const decoder = jspb.BinaryDecoder.prototype;
const unchecked = decoder['readString'] as ReadString;
if (unchecked.lengthChecked !== true) {
  const checked: ReadString = function (this: Decoder, length: number): string {
    if (!(length >= 0) || this.getCursor() + length > this.getEnd()) {
      throw new Error(`protobuf string field of ${length} bytes runs past the end of its message`);
    }
    return unchecked.call(this, length);
  };
  checked.lengthChecked = true;
  // The minified build calls the method by an internal alias as well as by its name: replace both.
  for (const name of Object.getOwnPropertyNames(decoder)) if (decoder[name] === unchecked) decoder[name] = checked;
}
