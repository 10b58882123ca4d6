// Gasless session transactions through the real session-paymaster binary (built by cargo) on a
// devnet the test starts: sponsored moves cost the user nothing; the paymaster's refusals arrive
// as PaymasterError with their SNIP-29 / session-paymaster codes; calls the session may not make
// never reach the paymaster.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Call } from 'starknet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Fixtures, type LocalDevnet, deployFixtures, freePort, startDevnet } from '../../../tests/web/local-chain.mjs';
import { OwnerAccount, PaymasterError, PreflightError, Session, SessionAccount, StarkKey, StarkOwner } from '../src/index.js';

const STRK = '0x04718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d';
const API_KEY = 'web-game-test-key';

/** The paymaster binary: $SESSION_PAYMASTER_BIN, else cargo's target directory. */
function paymasterBinary(): string {
  if (process.env.SESSION_PAYMASTER_BIN) return process.env.SESSION_PAYMASTER_BIN;
  const cache = process.env.SESSION_KEYS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'session-keys');
  const target = process.env.CARGO_TARGET_DIR ?? join(cache, 'target');
  const binary = join(target, 'debug', 'session-paymaster');
  if (!existsSync(binary)) throw new Error(`no ${binary}: build it with \`cargo build -p session-paymaster\` (or set SESSION_PAYMASTER_BIN)`);
  return binary;
}

let devnet: LocalDevnet;
let fixtures: Fixtures;
let owner: OwnerAccount;
let paymaster: ChildProcess;
let paymasterUrl: string;

const increase: () => Call = () => ({ contractAddress: fixtures.counterAddress, entrypoint: 'increase', calldata: [1] });
const reset: () => Call = () => ({ contractAddress: fixtures.counterAddress, entrypoint: 'reset', calldata: [] });

async function felt(contractAddress: string, entrypoint: string, calldata: string[]): Promise<bigint> {
  const [value] = await devnet.provider.callContract({ contractAddress, entrypoint, calldata });
  return BigInt(value ?? '0');
}

async function sessionAccount(entrypoints: string[]): Promise<SessionAccount> {
  const key = StarkKey.random();
  const { timestamp } = await devnet.provider.getBlockWithTxHashes('latest');
  const session = Session.build({
    sessionKey: key.publicKey,
    expiresAt: Number(timestamp) + 3600,
    epoch: await owner.sessionEpoch(),
    allowedMethods: entrypoints.map((entrypoint) => ({ contractAddress: fixtures.counterAddress, entrypoint })),
  });
  return new SessionAccount({
    provider: devnet.provider,
    accountAddress: BigInt(owner.address),
    chainId: BigInt(fixtures.chainId),
    session,
    sessionKey: key,
    ownerAuthorization: await owner.authorizeSession(session),
  });
}

beforeAll(async () => {
  devnet = await startDevnet();
  fixtures = await deployFixtures(devnet);
  owner = OwnerAccount.counterfactual({ provider: devnet.provider, owner: new StarkOwner(StarkKey.random()), classHash: BigInt(fixtures.sessionAccountClassHash) });
  await devnet.mint(owner.address, 10n ** 21n);
  await owner.deploySessionAccount(BigInt(fixtures.sessionAccountClassHash));

  const dir = mkdtempSync(join(tmpdir(), 'session-keys-paymaster-'));
  const port = await freePort();
  const config = join(dir, 'paymaster.toml');
  writeFileSync(
    config,
    [
      `rpc_url = "${devnet.rpcUrl}"`,
      `database_url = "sqlite://${join(dir, 'paymaster.sqlite')}"`,
      '[[api_keys]]',
      'name = "web-game"',
      `key = "${API_KEY}"`,
      'fee_modes = ["sponsored"]',
      'daily_budget_fri = "100000000000000000000"',
      'user_daily_budget_fri = "100000000000000000000"',
      'requests_per_minute = 600',
      'max_fee_per_transaction_fri = "10000000000000000000"',
      '[[api_keys.allow]]',
      `contract = "${fixtures.counterAddress}"`,
      'entrypoints = ["increase"]',
    ].join('\n'),
  );
  const relayer = devnet.accounts[1]!;
  paymaster = spawn(paymasterBinary(), ['--config', config], {
    env: {
      ...process.env,
      SESSION_PAYMASTER_LISTEN: `127.0.0.1:${port}`,
      SESSION_PAYMASTER_RELAYERS: `${relayer.address}:${relayer.private_key}`,
    },
    stdio: 'ignore',
  });
  paymasterUrl = `http://127.0.0.1:${port}/`;
  for (let attempt = 0; ; attempt += 1) {
    if (await fetch(`${paymasterUrl}health`).then((response) => response.ok, () => false)) break;
    if (attempt > 300 || paymaster.exitCode !== null) throw new Error('session-paymaster did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 120_000);

afterAll(async () => {
  paymaster?.kill('SIGTERM');
  await devnet?.stop();
});

describe('gasless session transactions (SNIP-29)', () => {
  it('a sponsored move costs the user nothing', async () => {
    const account = await sessionAccount(['increase']);
    const balance = await felt(STRK, 'balance_of', [owner.address]);
    const before = await felt(fixtures.counterAddress, 'get', [owner.address]);
    const sent = await account.executeViaPaymaster(increase(), { paymaster: { nodeUrl: paymasterUrl, apiKey: API_KEY } });
    expect(sent.transactionHash).toMatch(/^0x/);
    expect(await felt(fixtures.counterAddress, 'get', [owner.address])).toBe(before + 1n);
    expect(await felt(STRK, 'balance_of', [owner.address])).toBe(balance);
    expect(account.signer.signsByReference).toBe(true);
    await account.executeViaPaymaster(increase(), { paymaster: { nodeUrl: paymasterUrl, apiKey: API_KEY } });
    expect(await felt(fixtures.counterAddress, 'get', [owner.address])).toBe(before + 2n);
    expect(await felt(STRK, 'balance_of', [owner.address])).toBe(balance);
  });

  it('a wrong API key is refused with INVALID_API_KEY (170)', async () => {
    const account = await sessionAccount(['increase']);
    const refusal = await account
      .executeViaPaymaster(increase(), { paymaster: { nodeUrl: paymasterUrl, apiKey: 'not-a-key' } })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PaymasterError);
    expect(refusal).toMatchObject({ code: 'REFUSED', paymasterCode: 170, paymasterCodeName: 'INVALID_API_KEY' });
  });

  it('a call the key does not sponsor is refused with CALL_NOT_SPONSORED (171)', async () => {
    const account = await sessionAccount(['increase', 'reset']);
    const before = await felt(fixtures.counterAddress, 'get', [owner.address]);
    const refusal = await account.executeViaPaymaster(reset(), { paymaster: { nodeUrl: paymasterUrl, apiKey: API_KEY } }).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ name: 'PaymasterError', paymasterCode: 171, paymasterCodeName: 'CALL_NOT_SPONSORED' });
    expect(await felt(fixtures.counterAddress, 'get', [owner.address])).toBe(before);
  });

  it('a call outside the session never reaches the paymaster', async () => {
    const account = await sessionAccount(['increase']);
    // An unreachable paymaster: the pre-flight refuses first.
    const refusal = await account.executeViaPaymaster(reset(), { paymaster: { nodeUrl: 'http://127.0.0.1:9/', apiKey: API_KEY } }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PreflightError);
    expect(refusal).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });
});
