#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Records a small real Hyperledger Fabric ledger for the audit's tests (see README.md here).
#
#   FABRIC_BIN=/path/to/fabric/bin FABRIC_CFG=/path/to/fabric/sampleconfig \
#     packages/audit/testdata/fabric/record.sh <work dir> <fixture dir> [raft|bft] [lr|pdc]
#
# It stands up, on 127.0.0.1 ports 27000-27999, one orderer (etcdraft) or four (BFT, Fabric 3 only),
# one peer for each of Inmetro, LaSIGE and PUCPR, with the project's configtx.yaml. The `lr` scenario
# (the default) runs the governance and LR chaincodes as chaincode-as-a-service servers and records:
#   - the channel's genesis block,
#   - _lifecycle transactions: approveformyorg by each peer organization and commit, for both chaincodes,
#   - governance transactions (organizations, the LR software approval, a meter model),
#   - LR transactions (a meter registered, signed readings, one reading refused by the LR software),
#   - a channel configuration update (the orderer's batch timeout),
#   - a transaction that the peers mark invalid (ENDORSEMENT_POLICY_FAILURE),
# The `pdc` scenario runs instead a private data chaincode (@metroledger/devnet's testing/pdc), committed
# with collections-pdc.json (a collection with an endorsement policy of its own, one without), and
# records private writes that satisfy only the collection's policy or only the chaincode's.
# Either way it then stops everything and writes Inmetro's peer's block file (gzipped) and block index, and the
# SHA-256 of each block as the peer's Deliver serves it, into <fixture dir>.
# Needs the repository built (npm run build).
set -euo pipefail

: "${FABRIC_BIN:?set FABRIC_BIN to the folder holding peer, orderer, configtxgen, osnadmin, cryptogen, configtxlator}"
: "${FABRIC_CFG:?set FABRIC_CFG to the sampleconfig folder of Fabric (core.yaml, orderer.yaml)}"
WORK=$(realpath -m "${1:?work dir}")
OUT=$(realpath -m "${2:?output dir}")
CONSENSUS=${3:-raft}
SCENARIO=${4:-lr}
case $SCENARIO in lr) CHAINCODES=(governance lr);; pdc) CHAINCODES=(pdc);; *) echo "unknown scenario $SCENARIO" >&2; exit 2;; esac
REPO=$(cd "$(dirname "$0")/../../../.." && pwd)
HERE="$REPO/packages/audit/testdata/fabric"
PATH="$FABRIC_BIN:$PATH"
CHANNEL=metrology
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
cd "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

ORDERERS=(orderer0)
[ "$CONSENSUS" = bft ] && ORDERERS=(orderer0 orderer1 orderer2 orderer3)

# ---- crypto material (cryptogen layout, as configtx.yaml expects) --------------------------------
{
  echo "OrdererOrgs:"
  echo "  - { Name: Orderer, Domain: orderer.example.com, EnableNodeOUs: true, Specs: ["
  for o in "${ORDERERS[@]}"; do echo "      { Hostname: $o, SANS: [localhost, 127.0.0.1] },"; done
  echo "    ] }"
  echo "PeerOrgs:"
  for org in inmetro:Inmetro lasige:LaSIGE pucpr:PUCPR; do
    echo "  - { Name: ${org#*:}, Domain: ${org%%:*}.example.com, EnableNodeOUs: true, Template: { Count: 1, SANS: [localhost, 127.0.0.1] }, Users: { Count: 1 } }"
  done
  echo "  - { Name: CETSP, Domain: cetsp.example.com, EnableNodeOUs: true, Template: { Count: 0 }, Users: { Count: 1 } }"
} > crypto-config.yaml
cryptogen generate --config crypto-config.yaml --output organizations > /dev/null
ORG=organizations/ordererOrganizations/orderer.example.com
ORDERER_CA=$WORK/$ORG/tlsca/tlsca.orderer.example.com-cert.pem

# ---- channel configuration: the project's configtx.yaml on local ports --------------------------
python3 - "$REPO/packages/devnet/fabric/configtx.yaml" configtx.yaml "$CONSENSUS" "${ORDERERS[@]}" <<'EOF'
import sys, yaml
src, dst, consensus, orderers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = yaml.safe_load(open(src))
port = {'inmetro': 27051, 'lasige': 27151, 'pucpr': 27251}
for org in c['Organizations']:
    for a in org.get('AnchorPeers', []):
        a['Port'] = port[a['Host'].split('.')[1]]
        a['Host'] = '127.0.0.1'
    if 'OrdererEndpoints' in org:
        org['OrdererEndpoints'] = [f'127.0.0.1:{27050 + 100 * i}' for i in range(len(orderers))]
tls = lambda o: f'organizations/ordererOrganizations/orderer.example.com/orderers/{o}.orderer.example.com/tls/server.crt'
sign = lambda o: f'organizations/ordererOrganizations/orderer.example.com/orderers/{o}.orderer.example.com/msp/signcerts/{o}.orderer.example.com-cert.pem'
orderer = c['Profiles']['MetrologyChannel']['Orderer']
if consensus == 'bft':
    orderer['OrdererType'] = 'BFT'
    orderer.pop('EtcdRaft', None)
    orderer['ConsenterMapping'] = [
        {'ID': i + 1, 'Host': '127.0.0.1', 'Port': 27050 + 100 * i, 'MSPID': 'OrdererMSP', 'ClientTLSCert': tls(o), 'ServerTLSCert': tls(o), 'Identity': sign(o)}
        for i, o in enumerate(orderers)]
    orderer['SmartBFT'] = {'RequestBatchMaxInterval': '50ms', 'RequestForwardTimeout': '5s', 'RequestComplainTimeout': '20s',
        'RequestAutoRemoveTimeout': '3m0s', 'ViewChangeResendInterval': '5s', 'ViewChangeTimeout': '20s',
        'LeaderHeartbeatTimeout': '1m0s', 'CollectTimeout': '1s', 'IncomingMessageBufferSize': 200,
        'RequestPoolSize': 100000, 'LeaderHeartbeatCount': 10}
    c['Profiles']['MetrologyChannel']['Capabilities'] = {'V3_0': True}
else:
    orderer['EtcdRaft'] = {'Consenters': [{'Host': '127.0.0.1', 'Port': 27050, 'ClientTLSCert': tls('orderer0'), 'ServerTLSCert': tls('orderer0')}]}
yaml.safe_dump(c, open(dst, 'w'), sort_keys=False)
EOF
configtxgen -configPath . -profile MetrologyChannel -outputBlock genesis.block -channelID $CHANNEL 2> configtxgen.log

# ---- orderers --------------------------------------------------------------------------------------
for i in "${!ORDERERS[@]}"; do
  o=${ORDERERS[$i]}; dir=$WORK/$ORG/orderers/$o.orderer.example.com
  mkdir -p "$WORK/nodes/$o"
  env FABRIC_CFG_PATH="$FABRIC_CFG" FABRIC_LOGGING_SPEC=${ORDERER_LOGGING:-warn} \
    ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 ORDERER_GENERAL_LISTENPORT=$((27050 + 100 * i)) \
    ORDERER_GENERAL_LOCALMSPID=OrdererMSP ORDERER_GENERAL_LOCALMSPDIR="$dir/msp" \
    ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY="$dir/tls/server.key" \
    ORDERER_GENERAL_TLS_CERTIFICATE="$dir/tls/server.crt" ORDERER_GENERAL_TLS_ROOTCAS="[$dir/tls/ca.crt]" \
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$dir/tls/server.crt" ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$dir/tls/server.key" \
    ORDERER_GENERAL_CLUSTER_ROOTCAS="[$dir/tls/ca.crt]" ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
    ORDERER_FILELEDGER_LOCATION="$WORK/nodes/$o/ledger" ORDERER_CONSENSUS_WALDIR="$WORK/nodes/$o/wal" \
    ORDERER_CONSENSUS_SNAPDIR="$WORK/nodes/$o/snap" ORDERER_CHANNELPARTICIPATION_ENABLED=true \
    ORDERER_ADMIN_LISTENADDRESS=127.0.0.1:$((27053 + 100 * i)) ORDERER_ADMIN_TLS_ENABLED=true \
    ORDERER_ADMIN_TLS_PRIVATEKEY="$dir/tls/server.key" ORDERER_ADMIN_TLS_CERTIFICATE="$dir/tls/server.crt" \
    ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$dir/tls/ca.crt]" ORDERER_ADMIN_TLS_ROOTCAS="[$dir/tls/ca.crt]" \
    ORDERER_OPERATIONS_LISTENADDRESS=127.0.0.1:$((27054 + 100 * i)) ORDERER_METRICS_PROVIDER=disabled \
    orderer > "$WORK/nodes/$o.log" 2>&1 &
  PIDS+=($!)
done

# ---- chaincode-as-a-service: builder and packages -------------------------------------------------
mkdir -p builder/bin
cat > builder/bin/detect <<'EOF'
#!/bin/sh
grep -q '"type" *: *"ccaas"' "$2/metadata.json"
EOF
cat > builder/bin/build <<'EOF'
#!/bin/sh
set -e
tar -xzf "$1/code.tar.gz" -C "$3" 2>/dev/null || cp "$1/connection.json" "$3/"
if [ -d "$1/META-INF" ]; then cp -r "$1/META-INF" "$3/"; fi
EOF
cat > builder/bin/release <<'EOF'
#!/bin/sh
set -e
mkdir -p "$2/chaincode/server"
cp "$1/connection.json" "$2/chaincode/server/"
if [ -d "$1/META-INF" ]; then mkdir -p "$2/statedb" && cp -r "$1/META-INF/statedb/"* "$2/statedb/" 2>/dev/null || true; fi
EOF
chmod +x builder/bin/*
ccport() { case $1 in governance) echo 27300;; lr) echo 27301;; pdc) echo 27302;; esac; }
for cc in "${CHAINCODES[@]}"; do
  mkdir -p "pkg/$cc"
  printf '{"address":"127.0.0.1:%s","dial_timeout":"10s","tls_required":false}' "$(ccport $cc)" > "pkg/$cc/connection.json"
  printf '{"type":"ccaas","label":"%s_1.0"}' $cc > "pkg/$cc/metadata.json"
  tar -C "pkg/$cc" -czf "pkg/$cc/code.tar.gz" connection.json
  tar -C "pkg/$cc" -czf "pkg/$cc.tgz" metadata.json code.tar.gz
done

# ---- peers -----------------------------------------------------------------------------------------
python3 - "$FABRIC_CFG/core.yaml" core.yaml "$WORK/builder" <<'EOF'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c['chaincode']['externalBuilders'] = [{'name': 'ccaas', 'path': sys.argv[3]}]
c['vm']['endpoint'] = ''
yaml.safe_dump(c, open(sys.argv[2], 'w'), sort_keys=False)
EOF
mkdir -p peercfg && cp core.yaml peercfg/
PEERS=(inmetro:InmetroMSP:27051 lasige:LaSIGEMSP:27151 pucpr:PUCPRMSP:27251)
for p in "${PEERS[@]}"; do
  IFS=: read -r name msp port <<< "$p"; dir=$WORK/organizations/peerOrganizations/$name.example.com/peers/peer0.$name.example.com
  env FABRIC_CFG_PATH="$WORK/peercfg" FABRIC_LOGGING_SPEC=warn CORE_PEER_ID=peer0.$name.example.com \
    CORE_PEER_ADDRESS=127.0.0.1:$port CORE_PEER_LISTENADDRESS=127.0.0.1:$port \
    CORE_PEER_CHAINCODEADDRESS=127.0.0.1:$((port + 1)) CORE_PEER_CHAINCODELISTENADDRESS=127.0.0.1:$((port + 1)) \
    CORE_PEER_GOSSIP_BOOTSTRAP=127.0.0.1:$port CORE_PEER_GOSSIP_EXTERNALENDPOINT=127.0.0.1:$port \
    CORE_PEER_LOCALMSPID=$msp CORE_PEER_MSPCONFIGPATH="$dir/msp" \
    CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_CERT_FILE="$dir/tls/server.crt" CORE_PEER_TLS_KEY_FILE="$dir/tls/server.key" \
    CORE_PEER_TLS_ROOTCERT_FILE="$dir/tls/ca.crt" CORE_PEER_FILESYSTEMPATH="$WORK/nodes/peer0.$name" \
    CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:$((port + 10)) CORE_METRICS_PROVIDER=disabled \
    CORE_LEDGER_STATE_STATEDATABASE=goleveldb CORE_PEER_GATEWAY_ENABLED=true CORE_PEER_GOSSIP_PVTDATA_PULLRETRYTHRESHOLD=5s \
    peer node start > "$WORK/nodes/peer0.$name.log" 2>&1 &
  PIDS+=($!)
done
sleep 3

for i in "${!ORDERERS[@]}"; do
  o=${ORDERERS[$i]}; dir=$WORK/$ORG/orderers/$o.orderer.example.com
  osnadmin channel join --channelID $CHANNEL --config-block genesis.block -o 127.0.0.1:$((27053 + 100 * i)) \
    --ca-file "$ORDERER_CA" --client-cert "$dir/tls/server.crt" --client-key "$dir/tls/server.key" > osnadmin.log
  grep -q 'Status: 201' osnadmin.log || { cat osnadmin.log >&2; exit 1; }
done

# `actas <org> [admin|user]`: the environment of the peer CLI acting for that organization's peer.
actas() {
  local name=$1 who=${2:-admin} msp port user
  case $name in inmetro) msp=InmetroMSP port=27051;; lasige) msp=LaSIGEMSP port=27151;; pucpr) msp=PUCPRMSP port=27251;; cetsp) msp=CETSPMSP port=27051;; esac
  user=Admin; [ "$who" = user ] && user=User1
  export FABRIC_CFG_PATH="$WORK/peercfg" CORE_PEER_LOCALMSPID=$msp CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_MSPCONFIGPATH="$WORK/organizations/peerOrganizations/$name.example.com/users/$user@$name.example.com/msp" \
    CORE_PEER_ADDRESS=127.0.0.1:$port FABRIC_LOGGING_SPEC=warn
  if [ "$name" = cetsp ]; then export CORE_PEER_TLS_ROOTCERT_FILE="$WORK/organizations/peerOrganizations/inmetro.example.com/tlsca/tlsca.inmetro.example.com-cert.pem"
  else export CORE_PEER_TLS_ROOTCERT_FILE="$WORK/organizations/peerOrganizations/$name.example.com/tlsca/tlsca.$name.example.com-cert.pem"; fi
}
tlsca() { echo "$WORK/organizations/peerOrganizations/$1.example.com/tlsca/tlsca.$1.example.com-cert.pem"; }
ORD=(-o 127.0.0.1:27050 --tls --cafile "$ORDERER_CA")
ALL_PEERS=(--peerAddresses 127.0.0.1:27051 --tlsRootCertFiles "$(tlsca inmetro)" --peerAddresses 127.0.0.1:27151 --tlsRootCertFiles "$(tlsca lasige)" --peerAddresses 127.0.0.1:27251 --tlsRootCertFiles "$(tlsca pucpr)")
PROVIDERS=(--peerAddresses 127.0.0.1:27151 --tlsRootCertFiles "$(tlsca lasige)" --peerAddresses 127.0.0.1:27251 --tlsRootCertFiles "$(tlsca pucpr)")
INMETRO=(--peerAddresses 127.0.0.1:27051 --tlsRootCertFiles "$(tlsca inmetro)")

for name in inmetro lasige pucpr; do
  actas $name
  for try in 1 2 3 4 5 6 7 8 9 10; do peer channel join -b genesis.block 2> join.log && break; sleep 1; done
done

# ---- chaincodes: install, serve, approve, commit ---------------------------------------------------
declare -A PKGID
for name in inmetro lasige pucpr; do
  actas $name
  for cc in "${CHAINCODES[@]}"; do peer lifecycle chaincode install "pkg/$cc.tgz" 2> /dev/null || true; done
done
# The private data chaincode's module: fabric-chaincode-node loads `contracts` from a folder's package.json main.
mkdir -p pdc-module
echo '{"name":"pdc","version":"1.0.0","main":"index.js"}' > pdc-module/package.json
echo "module.exports.contracts = [require(require.resolve('@metroledger/devnet/testing/pdc', { paths: ['$REPO'] })).PdcContract];" > pdc-module/index.js
module_of() { case $1 in governance) echo "$REPO/packages/governance";; lr) echo "$REPO/packages/chaincode";; pdc) echo "$WORK/pdc-module";; esac; }
actas inmetro
for cc in "${CHAINCODES[@]}"; do
  PKGID[$cc]=$(peer lifecycle chaincode calculatepackageid "pkg/$cc.tgz")
  env CORE_CHAINCODE_LOGGING_LEVEL=warn node "$REPO/node_modules/.bin/fabric-chaincode-node" server \
    --chaincode-address 127.0.0.1:$(ccport $cc) --chaincode-id "${PKGID[$cc]}" \
    --module-path "$(module_of $cc)" > "$WORK/nodes/cc-$cc.log" 2>&1 &
  PIDS+=($!)
done
policy_of() { case $1 in governance) echo "AND('InmetroMSP.peer')";; lr|pdc) echo "AND('LaSIGEMSP.peer','PUCPRMSP.peer')";; esac; }
collections_of() { [ "$1" = pdc ] && echo --collections-config "$HERE/collections-pdc.json"; return 0; }
for cc in "${CHAINCODES[@]}"; do
  for name in inmetro lasige pucpr; do
    actas $name
    # shellcheck disable=SC2046 # collections_of gives zero or two words
    peer lifecycle chaincode approveformyorg "${ORD[@]}" -C $CHANNEL -n $cc -v 1.0 --sequence 1 \
      --package-id "${PKGID[$cc]}" --signature-policy "$(policy_of $cc)" $(collections_of $cc) --waitForEvent 2> approve.log
  done
  actas inmetro
  # shellcheck disable=SC2046
  peer lifecycle chaincode commit "${ORD[@]}" -C $CHANNEL -n $cc -v 1.0 --sequence 1 \
    --signature-policy "$(policy_of $cc)" $(collections_of $cc) "${ALL_PEERS[@]}" --waitForEvent 2> commit.log
done

# ---- transactions ----------------------------------------------------------------------------------
invoke() { # invoke <endorser set var> <chaincode> <json args...>
  local -n endorsers=$1; local cc=$2; shift 2
  local args; args=$(jq -cn '{Args: $ARGS.positional}' --args "$@")
  peer chaincode invoke "${ORD[@]}" -C $CHANNEL -n "$cc" "${endorsers[@]}" -c "$args" ${TRANSIENT:+--transient "$TRANSIENT"} --waitForEvent 2>> invoke.log
}
ONE=(--peerAddresses 127.0.0.1:27151 --tlsRootCertFiles "$(tlsca lasige)")

if [ "$SCENARIO" = pdc ]; then
  # Private writes (the value in the transient map, as Fabric contracts take it). `sealed` has its own
  # endorsement policy, OR('InmetroMSP.peer'), which Fabric holds its writes to instead of the chaincode's
  # AND('LaSIGEMSP.peer','PUCPRMSP.peer'); `open` has none, so the chaincode's holds.
  actas cetsp user
  private() { TRANSIENT=$(jq -cn --arg v "$(printf %s "$3" | base64 -w0)" '{value: $v}') invoke "$1" pdc putPrivate "$2" "$3"; }
  private INMETRO sealed reading-1                # the collection's policy only: VALID
  private PROVIDERS sealed reading-2 || true      # the chaincode's policy only: ENDORSEMENT_POLICY_FAILURE
  private PROVIDERS open reading-3                # no policy of its own, the chaincode's: VALID
  private INMETRO open reading-4 || true          # ENDORSEMENT_POLICY_FAILURE
  private ONE sealed reading-5 || true            # neither: ENDORSEMENT_POLICY_FAILURE
  # A collection whose own policy is a channel configuration policy (its absolute path).
  private ALL_PEERS byconfig reading-6            # /Channel/Application/LifecycleEndorsement: VALID
  private PROVIDERS byconfig reading-7 || true    # the chaincode's policy only: ENDORSEMENT_POLICY_FAILURE
  invoke PROVIDERS pdc putPublic public-1 shown   # a public write: the chaincode's policy, VALID
  # Last, a channel configuration policy by a path relative to /Channel, which Fabric's policy manager
  # resolves too. The last transaction is endorsed by Inmetro, so that the CLI waits for Inmetro's peer
  # to commit it (a peer that misses a private write it is eligible for commits later).
  private PROVIDERS relative reading-8 || true    # ENDORSEMENT_POLICY_FAILURE
  private INMETRO relative reading-9              # Application/InmetroMSP/Endorsement: VALID
else
node "$HERE/inputs.js" "$WORK" "${PKGID[lr]}" inputs.json
jq -e .governance inputs.json > /dev/null
actas inmetro
rows() { jq -c "$1" inputs.json; }
while IFS= read -r row; do mapfile -t a < <(jq -r '.[]' <<< "$row"); invoke INMETRO governance "${a[@]}" < /dev/null; done < <(rows '.governance[]')
while IFS= read -r row; do mapfile -t a < <(jq -r '.[]' <<< "$row"); invoke PROVIDERS lr "${a[@]}" < /dev/null; done < <(rows '.lrAdmin[]')
actas cetsp user
while IFS= read -r row; do mapfile -t a < <(jq -r '.[]' <<< "$row"); invoke PROVIDERS lr "${a[@]}" < /dev/null; done < <(rows '.readings[]')
# Endorsed by one computing provider only: ordered, and marked ENDORSEMENT_POLICY_FAILURE by the peers.
mapfile -t a < <(jq -r '.invalid[]' inputs.json); invoke ONE lr "${a[@]}" || true

# ---- a channel configuration update: the orderer's batch timeout, signed by the orderer admin -----
export FABRIC_CFG_PATH="$WORK/peercfg" CORE_PEER_LOCALMSPID=OrdererMSP \
  CORE_PEER_MSPCONFIGPATH="$WORK/$ORG/users/Admin@orderer.example.com/msp" CORE_PEER_TLS_ROOTCERT_FILE="$ORDERER_CA"
peer channel fetch config config.pb "${ORD[@]}" -c $CHANNEL 2> /dev/null
configtxlator proto_decode --input config.pb --type common.Block | jq .data.data[0].payload.data.config > config.json
jq '.channel_group.groups.Orderer.values.BatchTimeout.value.timeout = "50ms"' config.json > modified.json
configtxlator proto_encode --input config.json --type common.Config --output config.orig.pb
configtxlator proto_encode --input modified.json --type common.Config --output config.new.pb
configtxlator compute_update --channel_id $CHANNEL --original config.orig.pb --updated config.new.pb --output update.pb
configtxlator proto_decode --input update.pb --type common.ConfigUpdate | jq . > update.json
echo "{\"payload\":{\"header\":{\"channel_header\":{\"channel_id\":\"$CHANNEL\",\"type\":2}},\"data\":{\"config_update\":$(cat update.json)}}}" | jq . > envelope.json
configtxlator proto_encode --input envelope.json --type common.Envelope --output update.tx
peer channel update -f update.tx -c $CHANNEL "${ORD[@]}" 2> update.log

# A reading after the update, so that the audit goes on past a config block.
actas cetsp user
mapfile -t a < <(jq -r '.after[]' inputs.json); invoke PROVIDERS lr "${a[@]}"
sleep 2
fi

# ---- output: the peer's own files (block file gzipped, block index), and the digest of each block as
# ---- Deliver serves it (the audit's reading of the block file must give the same bytes)
actas inmetro
HEIGHT=$(peer channel getinfo -c $CHANNEL 2>/dev/null | sed 's/^Blockchain info: //' | jq .height)
mkdir -p "$WORK/fetched"
# From the peer (no -o): the peer's blocks carry its validation codes, the orderer's do not.
for ((n = 0; n < HEIGHT; n++)); do peer channel fetch $n "$WORK/fetched/$n.block" -c $CHANNEL 2> /dev/null; done
cleanup; PIDS=()
rm -rf "$OUT" && mkdir -p "$OUT/index"
for ((n = 0; n < HEIGHT; n++)); do echo "$n $(sha256sum < "$WORK/fetched/$n.block" | cut -d' ' -f1)"; done > "$OUT/deliver.sha256"
LEDGER=$WORK/nodes/peer0.inmetro/ledgersData/chains
gzip -9 -n -c "$LEDGER/chains/$CHANNEL/blockfile_000000" > "$OUT/blockfile_000000.gz"
for f in "$LEDGER"/index/*; do case $(basename "$f") in LOCK|LOG|LOG.old) ;; *) cp "$f" "$OUT/index/";; esac; done
echo "Hyperledger Fabric ${FABRIC_VERSION:-(version not given)}, $CONSENSUS ordering$([ "$SCENARIO" = pdc ] && echo ", private data scenario"), recorded $(date -u +%Y-%m-%d)" > "$OUT/VERSION"
echo "height $HEIGHT; package ids: ${PKGID[*]}"
