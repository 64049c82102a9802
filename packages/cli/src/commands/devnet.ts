// SPDX-License-Identifier: Apache-2.0
import { describeError } from '@metroledger/errors';
import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  checkChaincodeLoads,
  chaincodeConfigOf,
  DEFAULT_DATA_DIR,
  DEFAULT_NETWORK,
  DEVNET_HALT_EXIT_CODE,
  DevnetError,
  forgetDeployedChaincodes,
  parseChaincodeSpec,
  withCollectionsConfig,
  readDeployedChaincodes,
  recordDeployedChaincodes,
  describeHalt,
  fetchHealth,
  isProcessAlive,
  prepareDataDir,
  readRunFile,
  resetDevnetData,
  RUN_FILE,
  runningDevnet,
  startDevnet,
  writeRunFile,
  type DeployedChaincode,
  type Devnet,
  type DevnetHalt,
  type RunInfo,
  type StartDevnetOptions,
} from '@metroledger/devnet';
import type { Dashboard } from '@metroledger/dashboard';
import { logger } from '../logging';
import { command } from './hints';

interface UpOptions {
  data: string;
  ordering: string;
  port: string;
  bftReplicas?: string;
  bftDown?: string;
  tlsClientAuth?: boolean;
  chaincode: string[];
  collectionsConfig: string[];
  dashboard: boolean;
  dashboardPort: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The `devnet up` options, after --data, that start the same devnet again. */
function upArgsOf(opts: UpOptions): string[] {
  return [
    ...(opts.ordering !== 'solo' ? ['--ordering', opts.ordering] : []),
    ...(opts.bftReplicas !== undefined ? ['--bft-replicas', opts.bftReplicas] : []),
    ...(opts.bftDown !== undefined && opts.bftDown !== '' ? ['--bft-down', opts.bftDown] : []),
    ...(opts.port !== '7051' ? ['--port', opts.port] : []),
    ...(opts.tlsClientAuth === true ? ['--tls-client-auth'] : []),
    ...(!opts.dashboard ? ['--no-dashboard'] : opts.dashboardPort !== '0' ? ['--dashboard-port', opts.dashboardPort] : []),
  ];
}

/** Checks each `name=DIR[:policy]`, loads it once here, and records it as deployed on the devnet. */
async function recordChaincodes(
  dataDir: string,
  specs: readonly string[],
  collectionsConfig: readonly string[],
): Promise<{ revision: number; chaincodes: DeployedChaincode[] }> {
  const chaincodes = withCollectionsConfig(
    specs.map((spec) => parseChaincodeSpec(spec, DEFAULT_NETWORK)),
    collectionsConfig,
    DEFAULT_NETWORK,
  );
  for (const cc of chaincodes) checkChaincodeLoads(cc);
  return { revision: await recordDeployedChaincodes(dataDir, chaincodes), chaincodes };
}

/**
 * SIGHUP (sent by `devnet deploy`): deploys what the record holds and the devnet does not run yet
 * (new chaincodes, other versions, directories or policies), then reports in the run file.
 */
async function reloadDeployed(
  devnet: Devnet,
  dataDir: string,
  info: () => RunInfo,
  write: (next: RunInfo) => Promise<void>,
): Promise<void> {
  const { revision, chaincodes } = await readDeployedChaincodes(dataDir).catch((err: unknown) => ({
    revision: -1,
    chaincodes: [],
    error: err,
  }));
  if (revision < 0) return;
  const running = new Map(devnet.chaincodes().map((c) => [c.name, c]));
  try {
    for (const d of chaincodes) {
      const now = running.get(d.name);
      if (now !== undefined && now.version === d.version && now.endorsementPolicy === d.endorsementPolicy && now.module === d.path)
        continue;
      await devnet.deployChaincode(chaincodeConfigOf(d));
    }
    await write({ ...info(), chaincodes: devnet.chaincodes(), chaincodesRevision: revision });
  } catch (err) {
    logger().error(
      { event: 'deploy_failed', revision, code: (err as { code?: unknown }).code },
      `deploy failed: ${(err as Error).message}`,
    );
    await write({ ...info(), chaincodes: devnet.chaincodes(), deployError: { revision, message: describeError(err) } });
  }
}

/** `--ordering`, `--bft-replicas`, `--bft-down` as startDevnet options (shared with `metroledger start`). */
export function orderingOptions(opts: {
  ordering: string;
  bftReplicas?: string;
  bftDown?: string;
}): Pick<StartDevnetOptions, 'ordering' | 'bftReplicas' | 'bftReplicasDown'> {
  if (opts.ordering !== 'solo' && opts.ordering !== 'bft')
    throw new DevnetError('BAD_CONFIG', `--ordering must be solo or bft, not ${opts.ordering}`);
  const out: { ordering: 'solo' | 'bft'; bftReplicas?: number; bftReplicasDown?: number[] } = { ordering: opts.ordering };
  if (opts.bftReplicas !== undefined) {
    const n = Number(opts.bftReplicas);
    if (!Number.isInteger(n)) throw new DevnetError('BAD_CONFIG', `--bft-replicas must be an integer, not ${opts.bftReplicas}`); // the range: startDevnet
    out.bftReplicas = n;
  }
  if (opts.bftDown !== undefined && opts.bftDown !== '') {
    const ids = opts.bftDown.split(',').map((x) => Number(x.trim()));
    if (ids.some((i) => !Number.isInteger(i) || i < 0))
      throw new DevnetError('BAD_CONFIG', `--bft-down takes replica indexes like 3 or 0,1, not ${opts.bftDown}`);
    out.bftReplicasDown = ids;
  }
  return out;
}

async function up(opts: UpOptions): Promise<void> {
  const dataDir = resolve(opts.data);
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, not ${opts.port}`);
  const ordering = orderingOptions(opts);
  const dashboardPort = Number(opts.dashboardPort);
  if (!Number.isInteger(dashboardPort) || dashboardPort < 0 || dashboardPort > 65535)
    throw new Error(`--dashboard-port must be an integer 0..65535, not ${opts.dashboardPort}`);
  await prepareDataDir(dataDir); // before reading a run file: --data may be a file, or someone else's directory
  const other = await runningDevnet(dataDir);
  if (other !== undefined)
    throw new DevnetError('ALREADY_RUNNING', `a devnet (pid ${other.pid}) already runs on ${dataDir} at ${other.endpoint}`);
  // --chaincode: checked and loaded here first, deployed with the network, recorded once the devnet runs
  const added = withCollectionsConfig(
    opts.chaincode.map((spec) => parseChaincodeSpec(spec, DEFAULT_NETWORK)),
    opts.collectionsConfig,
    DEFAULT_NETWORK,
  );
  for (const cc of added) checkChaincodeLoads(cc);

  const devnet = await startDevnet({
    dataDir,
    port,
    ...ordering,
    tlsClientAuth: opts.tlsClientAuth === true,
    logger: logger(),
    addChaincodes: added.map(chaincodeConfigOf),
  }).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'PORT_IN_USE')
      (err as Error).message += ': choose another with --port N (0 lets the system pick)';
    throw err;
  });
  const revision = added.length > 0 ? await recordDeployedChaincodes(dataDir, added) : (await readDeployedChaincodes(dataDir)).revision;
  const leftOut = devnet.deployErrors.map((e) => `${e.name}: ${e.message}`).join('; ');
  let info: RunInfo = {
    pid: process.pid,
    endpoint: devnet.endpoint,
    tlsCaCertPath: devnet.tlsCaCertPath,
    tlsServerName: devnet.tlsServerName,
    tlsClientAuth: devnet.tlsClientAuth,
    startedAt: new Date().toISOString(),
    operationsEndpoint: devnet.operationsEndpoint,
    upArgs: upArgsOf(opts),
    chaincodes: devnet.chaincodes(),
    chaincodesRevision: revision,
    ...(leftOut !== '' && { deployError: { revision, message: leftOut } }),
  };
  // `devnet deploy` signals a running devnet to load what it recorded (installed before the run file exists)
  let reloading = Promise.resolve();
  const onHangup = (): void => {
    reloading = reloading.then(() =>
      reloadDeployed(
        devnet,
        dataDir,
        () => info,
        async (next) => writeRunFile(dataDir, (info = next)),
      ),
    );
  };
  process.on('SIGHUP', onHangup);
  await writeRunFile(dataDir, info);

  console.log(
    `devnet up: channel ${devnet.channelId}, ledger height ${devnet.height()}${devnet.generatedCrypto ? ', new crypto material' : ''}`,
  );
  if (devnet.bft !== undefined) {
    const down = ordering.bftReplicasDown ?? [];
    console.log(
      `ordering:         BFT, ${devnet.bft.replicas} consenters (Orderer1MSP..Orderer${devnet.bft.replicas}MSP), f = ${devnet.bft.f}${down.length > 0 ? `, replica(s) ${down.join(',')} down` : ''}`,
    );
  } else {
    console.log('ordering:         solo');
  }
  const t = devnet.threads;
  console.log(
    `threads:          sized for ${t.cores} cores (METROLEDGER_THREADS overrides): endorsement ${t.endorseThreads}, ordering ${devnet.bft === undefined ? 'solo on the event loop' : t.orderingThread ? `1${t.orderingVerifyThreads > 0 ? ` + ${t.orderingVerifyThreads} verification` : ''}` : 'on the event loop'}, commit verification ${t.verifyThreads}`,
  );
  console.log(`gateway endpoint: ${devnet.endpoint}`);
  console.log(`TLS CA:           ${devnet.tlsCaCertPath}`);
  console.log(`operations:       ${devnet.operationsEndpoint}/healthz and /metrics (Prometheus)`);
  console.log(
    `chaincodes:       ${devnet
      .chaincodes()
      .map((c) => `${c.name} ${c.version}`)
      .join(', ')}  (add one: ${command(['devnet', 'deploy'], dataDir, ['NAME=DIR'])})`,
  );
  if (leftOut !== '') console.log(`left out:         ${leftOut} (redeploy with ${command(['devnet', 'deploy'], dataDir, ['NAME=DIR'])})`);
  console.log(`TLS server name:  ${devnet.tlsServerName}`);
  console.log(
    `client TLS:       ${devnet.tlsClientAuth ? "required (mutual TLS): each user's tls/client.crt and client.key" : 'not required (--tls-client-auth requires it)'}`,
  );
  for (const [mspId, users] of Object.entries(devnet.users)) {
    for (const u of users) {
      const tls = devnet.tlsClientAuth ? `\n            tls  ${u.tlsCertPath}\n                 ${u.tlsKeyPath}` : '';
      console.log(`${mspId.padEnd(11)} ${u.name}\n            cert ${u.certPath}\n            key  ${u.keyPath}${tls}`);
    }
  }
  // The live dashboard starts once the devnet is ready (its run file written), so it never delays it; it reads
  // nothing until someone opens it, and one that cannot start leaves the devnet running.
  let dashboard: Dashboard | undefined;
  if (opts.dashboard) {
    const { startDevnetDashboard } = require('@metroledger/dashboard') as typeof import('@metroledger/dashboard');
    dashboard = await startDevnetDashboard(devnet, { port: dashboardPort }).catch(
      (err: Error) => (console.error(`metroledger: dashboard not started: ${err.message}`), undefined),
    );
    if (dashboard !== undefined) {
      console.log(`dashboard:        ${dashboard.url}`);
      info = { ...info, dashboardUrl: dashboard.url };
      await writeRunFile(dataDir, info);
    }
  }
  console.log(`stop with Ctrl-C or \`${command(['devnet', 'down'], dataDir)}\``);

  const halt = await new Promise<DevnetHalt | undefined>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      offHalt();
      done(undefined);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const offHalt = devnet.onHalt((h) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(h);
    });
  });
  process.off('SIGHUP', onHangup);
  await reloading;
  if (halt !== undefined) return haltAndExit(devnet, dataDir, info, halt);
  await dashboard?.stop();
  await devnet.stop();
  await unlink(join(dataDir, RUN_FILE)).catch(() => undefined);
  console.log('devnet stopped');
}

/**
 * Fail-stop: the ledger could not commit a block (a full or failing disk). Say what failed and
 * what to do, record it in the run file if the disk still allows, and exit with EX_IOERR.
 */
async function haltAndExit(devnet: { stop(): Promise<void> }, dataDir: string, info: RunInfo, halt: DevnetHalt): Promise<never> {
  console.error(`metroledger: ${describeHalt(halt, dataDir)}`);
  await writeRunFile(dataDir, { ...info, halt }).catch(() => undefined);
  // Closing cleanly is a courtesy: recovery does not need it, so it may not hold the exit up.
  await Promise.race([devnet.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
  process.exit(DEVNET_HALT_EXIT_CODE);
}

async function down(opts: { data: string }): Promise<void> {
  const dataDir = resolve(opts.data);
  const info = await runningDevnet(dataDir);
  if (info === undefined)
    throw new DevnetError('NOT_RUNNING', `no devnet runs on ${dataDir} (\`${command(['devnet', 'status'], opts.data)}\` says more)`);
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isProcessAlive(info.pid)) {
    if (Date.now() > deadline) throw new Error(`devnet pid ${info.pid} did not stop within 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`devnet (pid ${info.pid}) stopped`);
}

async function reset(opts: { data: string }): Promise<void> {
  const dataDir = resolve(opts.data);
  await resetDevnetData(dataDir);
  console.log(`deleted the devnet data directory ${dataDir}; \`${command(['devnet', 'up'], opts.data)}\` starts a new one there`);
}

/** `devnet deploy`: records the chaincodes, and has a running devnet load them (SIGHUP), waiting for its answer. */
async function deploy(specs: string[], opts: { data: string; collectionsConfig: string[] }): Promise<void> {
  const dataDir = resolve(opts.data);
  await prepareDataDir(dataDir);
  const before = (await readDeployedChaincodes(dataDir)).chaincodes;
  const { revision, chaincodes } = await recordChaincodes(dataDir, specs, opts.collectionsConfig);
  const running = await runningDevnet(dataDir);
  if (running === undefined) {
    console.log(
      `recorded ${chaincodes.map((c) => `${c.name} ${c.version}`).join(', ')}: deployed when the devnet starts (\`${command(['devnet', 'up'], opts.data)}\`)`,
    );
    return;
  }
  process.kill(running.pid, 'SIGHUP');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const info = await readRunFile(dataDir);
    if (info?.deployError !== undefined && info.deployError.revision >= revision) {
      // what the devnet refused is not kept (a restart would refuse it again): the record goes back to what it held
      const runs = (c: DeployedChaincode): boolean =>
        info.chaincodes?.some(
          (r) => r.name === c.name && r.version === c.version && r.module === c.path && r.endorsementPolicy === c.endorsementPolicy,
        ) === true;
      const refused = chaincodes.filter((c) => !runs(c)).map((c) => c.name);
      await forgetDeployedChaincodes(dataDir, refused);
      const previous = before.filter((c) => refused.includes(c.name));
      if (previous.length > 0) await recordDeployedChaincodes(dataDir, previous);
      throw new DevnetError('CHAINCODE_LOAD', `the devnet could not deploy: ${info.deployError.message}`);
    }
    if (info !== undefined && (info.chaincodesRevision ?? 0) >= revision) {
      for (const c of chaincodes) {
        const now = info.chaincodes?.find((r) => r.name === c.name);
        console.log(`deployed ${c.name} ${c.version} on ${c.installedOn.join(', ')} (pid ${info.pid}, gateway ${info.endpoint})`);
        console.log(
          `  endorsement policy ${c.endorsementPolicy}${now?.resolvedPolicy !== undefined && now.resolvedPolicy !== c.endorsementPolicy ? ` = ${now.resolvedPolicy}` : ''}`,
        );
      }
      console.log(
        `call it with any Fabric client: channel metrology, chaincode ${chaincodes[0]!.name} (\`${command(['devnet', 'status'], opts.data)}\` lists the gateway and identities)`,
      );
      return;
    }
    if (!isProcessAlive(running.pid))
      throw new DevnetError(
        'NOT_RUNNING',
        `the devnet (pid ${running.pid}) stopped before it deployed; the record stays, so \`${command(['devnet', 'up'], opts.data, [...(running.upArgs ?? [])])}\` deploys it`,
      );
    if (Date.now() > deadline)
      throw new DevnetError('CHAINCODE_LOAD', `the devnet (pid ${running.pid}) did not confirm the deployment within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Exit status of `devnet status`: 0 serving, 1 not running, 3 halted or unhealthy. */
async function status(opts: { data: string; json?: boolean }): Promise<void> {
  const dataDir = resolve(opts.data);
  const info = await readRunFile(dataDir);
  const alive = info !== undefined && isProcessAlive(info.pid);
  const answer = alive && info.operationsEndpoint !== undefined ? await fetchHealth(info.operationsEndpoint) : undefined;
  const state = answer?.health.status ?? (info?.halt !== undefined ? 'HALTED' : alive ? 'UNKNOWN' : 'NOT_RUNNING');
  const halt = answer?.health.halt ?? info?.halt;
  const report = {
    dataDir,
    status: state,
    ...(info !== undefined &&
      alive && {
        pid: info.pid,
        endpoint: info.endpoint,
        startedAt: info.startedAt,
        ...(info.dashboardUrl !== undefined && { dashboardUrl: info.dashboardUrl }),
      }),
    ...(answer !== undefined && { height: answer.health.height }),
    ...(halt !== undefined && { halt }),
  };
  if (opts.json === true) console.log(JSON.stringify(report, null, 2));
  else if (halt !== undefined) console.log(describeHalt(halt, dataDir));
  else if (state === 'SERVING')
    console.log(
      `devnet SERVING on ${dataDir}: pid ${info!.pid}, gateway ${info!.endpoint}, ledger height ${answer!.health.height}, operations ${info!.operationsEndpoint ?? '?'} (/healthz, /metrics)${info!.dashboardUrl !== undefined ? `, dashboard ${info!.dashboardUrl}` : ''}`,
    );
  else if (state === 'NOT_RUNNING')
    console.log(
      `no devnet runs on ${dataDir}${info !== undefined ? ` (pid ${info.pid} of its run file is gone: it crashed or was killed; \`${command(['devnet', 'up'], opts.data, [...(info.upArgs ?? [])])}\` recovers the ledger)` : ''}`,
    );
  else console.log(`devnet pid ${info!.pid} runs on ${dataDir} but its health service does not answer`);
  process.exitCode = state === 'SERVING' ? 0 : state === 'NOT_RUNNING' ? 1 : 3;
}

/** `metroledger devnet up|down|reset`: the embedded Fabric network as a local service. */
export function registerDevnetCommands(program: Command): void {
  const devnet = program.command('devnet').description('the embedded Fabric network (gateway, peers, orderer, ledger in one process)');
  devnet
    .command('up')
    .description('run the devnet in the foreground until SIGINT/SIGTERM')
    .option('--data <dir>', 'data directory (crypto material and ledger)', DEFAULT_DATA_DIR)
    .option('--ordering <type>', 'ordering service: solo, or bft (n consenters of n orderer organizations)', 'solo')
    .option('--bft-replicas <n>', 'BFT consenters, 4..31; n tolerates f = floor((n-1)/3) faulty (default 4)')
    .option('--bft-down <ids>', 'BFT replicas (0-based, comma-separated, at most f) left stopped, to measure a degraded service')
    .option('--port <n>', 'gateway port', '7051')
    .option(
      '--tls-client-auth',
      "mutual TLS: clients must present a TLS certificate from a channel MSP's TLS CA (as Fabric's peer.tls.clientAuthRequired)",
    )
    .option(
      '--chaincode <name=DIR[:policy]>',
      "deploy any Fabric chaincode (node, fabric-contract-api) from its folder, besides the network's; the policy in any Fabric form (default /Channel/Application/Endorsement, i.e. MAJORITY Endorsement); repeatable, and it stays deployed",
      collect,
      [],
    )
    .option(
      '--collections-config <[name=]file>',
      "a chaincode's private data collections, Fabric's collections_config.json (as `peer lifecycle chaincode approveformyorg --collections-config`); name= picks the --chaincode; repeatable",
      collect,
      [],
    )
    .option('--dashboard-port <n>', 'port of the live dashboard on 127.0.0.1 (0: any free port; the URL is printed)', '0')
    .option('--no-dashboard', 'serve no dashboard')
    .action(up);
  devnet
    .command('deploy')
    .description(
      'deploy (or upgrade) Fabric chaincodes from their folders, on every peer organization: at once on a running devnet, else when it starts; they stay deployed',
    )
    .argument(
      '<name=DIR[:policy]...>',
      "e.g. basic=../fabric-samples/asset-transfer-basic/chaincode-javascript, or basic=DIR:AND('LaSIGEMSP.peer','PUCPRMSP.peer')",
    )
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option(
      '--collections-config <[name=]file>',
      "a chaincode's private data collections, Fabric's collections_config.json (as `peer lifecycle chaincode approveformyorg --collections-config`); name= picks the chaincode; repeatable. An upgrade keeps every collection and its blockToLive",
      collect,
      [],
    )
    .action(deploy);
  devnet
    .command('down')
    .description('stop the devnet running on the data directory')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(down);
  devnet
    .command('reset')
    .description('delete a devnet data directory (only one a devnet created; refused while it runs, an error if it does not exist)')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .action(reset);
  devnet
    .command('status')
    .description('whether a devnet runs on the data directory and is healthy (exit 0 serving, 1 not running, 3 halted)')
    .option('--data <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option('--json', 'machine-readable output')
    .action(status);
}
