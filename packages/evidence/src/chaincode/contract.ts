// SPDX-License-Identifier: Apache-2.0
// The evidence store's native Fabric form: plate images in the traffic authority's implicit private
// data collection (`_implicit_org_<MSP>`, which every chaincode has for every channel organization,
// with no collection config). The image travels in the proposal's transient map, never in a
// transaction; the block holds SHA-256 of the key and of the image, and the image's SHA-256 is the
// plate-image digest the meter signed into its reading. Only the peers of the traffic authority keep
// the image. Deploy it with the endorsement policy `AND('<traffic authority>.peer')`: the
// transient image then reaches that organization's peer only (docs/PRIVACY.md).
import { Context, Contract, Transaction } from 'fabric-contract-api';
import { sha256 } from '../statement';

/** Fabric's implicit collection of an organization (lifecycle.ImplicitCollectionNameForOrg); protocol's implicitCollectionName, kept here so the chaincode carries no ledger code. */
function implicitCollection(mspId: string): string {
  return `_implicit_org_${mspId}`;
}

/** The collection key of an image: its SHA-256 in hex, as the evidence store names it. */
export function evidenceImageKey(digestHex: string): string {
  return `image/${digestHex}`;
}

/** The largest image the chaincode accepts (gRPC's default message size leaves room for the proposal). */
export const MAX_COLLECTION_IMAGE_BYTES = 2 * 1024 * 1024;

const DIGEST = /^[0-9a-f]{64}$/;

function checkDigest(digestHex: string): void {
  if (!DIGEST.test(digestHex)) throw new Error(`BAD_DIGEST: ${JSON.stringify(digestHex)} is not a SHA-256 digest in lowercase hex`);
}

export class EvidenceCollectionContract extends Contract {
  constructor() {
    super('evidence');
  }

  /**
   * Stores the image in the transient map's `image` in the caller organization's implicit
   * collection, under its digest; returns the digest (hex). Content-addressed: storing an image
   * that is there already writes nothing.
   */
  @Transaction()
  async storeImage(ctx: Context): Promise<string> {
    const image = ctx.stub.getTransient().get('image');
    if (image === undefined || image.length === 0) throw new Error('MISSING_IMAGE: the transient map has no "image"');
    if (image.length > MAX_COLLECTION_IMAGE_BYTES)
      throw new Error(`IMAGE_TOO_LARGE: ${image.length} bytes, at most ${MAX_COLLECTION_IMAGE_BYTES}`);
    const digest = sha256(image).toString('hex');
    const collection = implicitCollection(ctx.clientIdentity.getMSPID());
    const key = evidenceImageKey(digest);
    if ((await ctx.stub.getPrivateDataHash(collection, key)).length > 0) return digest;
    await ctx.stub.putPrivateData(collection, key, image);
    return digest;
  }

  /** The image (base64), for a client of the owning organization, on that organization's peers (elsewhere: PRIVATE_DATA_NOT_AVAILABLE). */
  @Transaction(false)
  async getImage(ctx: Context, ownerMspId: string, digestHex: string): Promise<string> {
    checkDigest(digestHex);
    if (ctx.clientIdentity.getMSPID() !== ownerMspId)
      throw new Error(`FORBIDDEN: images of ${ownerMspId} are retrieved by its own clients`);
    const image = await ctx.stub.getPrivateData(implicitCollection(ownerMspId), evidenceImageKey(digestHex));
    if (image.length === 0) throw new Error(`NOT_FOUND: no image ${digestHex} in ${implicitCollection(ownerMspId)}`);
    return Buffer.from(image).toString('base64');
  }

  /**
   * The on-chain SHA-256 of the stored image (hex), from any peer of the channel: equal to the
   * digest when the image is stored, '' when it is not.
   */
  @Transaction(false)
  async imageHash(ctx: Context, ownerMspId: string, digestHex: string): Promise<string> {
    checkDigest(digestHex);
    return Buffer.from(await ctx.stub.getPrivateDataHash(implicitCollection(ownerMspId), evidenceImageKey(digestHex))).toString('hex');
  }
}

export const contracts = [EvidenceCollectionContract];
