// SPDX-License-Identifier: Apache-2.0
// An endorsement thread (see pool.ts): every endorsing peer of the devnet, each with its own
// identity, installed chaincodes and Endorser, over a cache of the world state the event loop keeps
// current. A proposal is checked, simulated and signed here exactly as on the event loop: the same
// Endorser, the same chaincode host, the same fingerprint guard.
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { hostChaincodeModule, type HostedChaincode } from '@metroledger/chaincode-host';
import { IdentityDeserializer, MspRegistry, SigningIdentity } from '@metroledger/identity';
import { Endorser, guardChaincode, LaggingState } from '@metroledger/peer';
import { parseProposal, type StateReader } from '@metroledger/protocol';
import { statedVersion, withVersion } from '../governed.js';
import { CachedState } from './cached-state.js';
import {
  wireError,
  type ApprovalEntry,
  type EndorseRequest,
  type EndorseResult,
  type EndorseWorkerData,
  type FromEndorseWorker,
  type ToEndorseWorker,
} from './messages.js';
import { pack } from './wire.js';

if (parentPort !== null) {
  const port = parentPort;
  const post = (m: FromEndorseWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
  const data = workerData as EndorseWorkerData;
  let approvals = new Map<string, ApprovalEntry>();
  const setApprovals = (list: readonly ApprovalEntry[]): void => {
    approvals = new Map(list.map((a) => [`${a.chaincodeName}\u0000${a.version}`, a]));
  };
  setApprovals(data.approvals);

  const state = new CachedState({
    askKeys: (keys) => post({ t: 'get', keys }),
    askRange: (id, ns, start, end, limit) => post({ t: 'range', id, ns, start, end, limit }),
  });
  const deserializer = new IdentityDeserializer();
  const msps = new MspRegistry([...data.msps]);
  const loaded: { peer: number; name: string; version: string }[] = [];
  let endorsers: Endorser[];
  try {
    endorsers = data.peers.map((p, peerIndex) => {
      const onPeer = new Map<string, HostedChaincode>();
      const resolve = (name: string): HostedChaincode | undefined => onPeer.get(name);
      for (const cc of p.chaincodes) {
        let hosted: HostedChaincode;
        try {
          hosted = hostChaincodeModule({ name: cc.name, version: cc.version, dir: cc.dir, resolveChaincode: resolve, mspId: p.mspId });
        } catch (err) {
          throw Object.assign(new Error(`${p.fqdn}: chaincode ${cc.name} (${cc.dir}) cannot be loaded: ${(err as Error).message}`), {
            code: 'CHAINCODE_LOAD',
            details: { chaincode: cc.name },
          });
        }
        if (cc.statedVersion) hosted = withVersion(hosted, statedVersion(cc.dir, cc.version));
        loaded.push({ peer: peerIndex, name: cc.name, version: hosted.version });
        if (cc.guard !== undefined) {
          const name = cc.name;
          hosted = guardChaincode(hosted, {
            peer: p.fqdn,
            organization: p.mspId,
            installedPackageId: cc.guard.installedPackageId,
            approval: (chaincode, version) => approvals.get(`${chaincode}\u0000${version}`),
            onIncident: (incident) => post({ t: 'incident', peer: peerIndex, incident }),
            onEpisodeEnd: () => post({ t: 'episodeEnd', peer: peerIndex, chaincode: name }),
          });
        }
        onPeer.set(cc.name, hosted);
      }
      return new Endorser({
        identity: new SigningIdentity(p.mspId, p.certPem, createPrivateKey(p.keyPem)),
        address: p.address,
        channelId: data.channelId,
        msps,
        deserializer,
        // the event loop answers whether a tx id is committed with each request (txCommitted)
        ledger: { state, getTx: async () => undefined },
        chaincodes: [...onPeer.values()],
      });
    });
  } catch (err) {
    post({ t: 'loadFailed', error: wireError(err) });
    endorsers = [];
  }

  // Fault injection: a lagging peer's proposals read its stale view (one per lag number).
  const stale = new Map<number, { lag: number; view: LaggingState }>();
  const staleState = (peer: number, lag: number): StateReader => {
    let s = stale.get(peer);
    if (s === undefined || s.lag !== lag)
      stale.set(peer, (s = { lag, view: new LaggingState(state, { proposals: Number.MAX_SAFE_INTEGER }) }));
    return s.view.next();
  };

  let results: EndorseResult[] = [];
  let transfer: ArrayBuffer[] = [];
  const answer = (r: EndorseResult): void => {
    if (results.length === 0) {
      setImmediate(() => {
        const out = results;
        const buffers = transfer;
        results = [];
        transfer = [];
        post({ t: 'endorsed', results: out }, buffers);
      });
    }
    results.push(r);
    if (r.ok !== undefined) transfer.push(r.ok.packed.bytes.buffer as ArrayBuffer);
  };

  const endorse = async (req: EndorseRequest): Promise<void> => {
    try {
      const endorser = endorsers[req.peer];
      if (endorser === undefined) throw new Error(`no peer ${req.peer} in this endorsement thread`);
      const p = parseProposal(req.bytes.subarray(0, req.proposalLength), req.bytes.subarray(req.proposalLength));
      const r = await endorser.processProposal(p, {
        txCommitted: req.txCommitted,
        ...(req.lag !== undefined && { state: staleState(req.peer, req.lag) }),
      });
      const parts =
        r.endorsement === undefined ? [r.payload, r.prpBytes] : [r.payload, r.prpBytes, r.endorsement.endorser, r.endorsement.signature];
      answer({ id: req.id, ok: { status: r.status, message: r.message, packed: pack(parts) } });
    } catch (err) {
      answer({ id: req.id, error: wireError(err) });
    }
  };

  port.on('message', (m: ToEndorseWorker) => {
    switch (m.t) {
      case 'endorse':
        for (const r of m.requests) void endorse(r);
        return;
      case 'state':
        state.apply(m.entries, m.failed);
        return;
      case 'range':
        state.rangeAnswered(m.id, m.entries, m.done, m.error);
        return;
      case 'approvals':
        setApprovals(m.approvals);
        return;
    }
  });
  if (endorsers.length > 0 || data.peers.length === 0) post({ t: 'ready', loaded });
}
