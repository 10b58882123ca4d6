// End to end, in a real browser: headless Chromium (Debian's, driven by playwright-core) with the
// DevTools WebAuthn virtual authenticator standing in for the user's passkey plays the example app
// (built with Vite, served by Vite's preview server) against a devnet this test starts. It counts
// the authenticator's signatures: account creation, ONE for the session, then 10 moves with none;
// gasless moves through the real session-paymaster (the account's STRK unchanged); a disallowed
// call refused in the page; an encrypted session restored after a reload; expiry by the chain's
// clock; revoke on logout. SCREENSHOT=path saves a screenshot of the app mid-game.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

import { deployFixtures, freePort, startDevnet, startPaymaster } from '../../../tests/web/local-chain.mjs';

const root = new URL('..', import.meta.url).pathname;
const started = Date.now();
const log = (message) => console.log(`[web-game e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

const STRK = '0x04718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d';
const API_KEY = 'web-game-e2e-key';

const devnet = await startDevnet();
let browser;
let server;
let paymaster;
try {
  const fixtures = await deployFixtures(devnet);
  paymaster = await startPaymaster(devnet, { apiKey: API_KEY, contract: fixtures.counterAddress, entrypoints: ['increase'] });
  const configPath = join(mkdtempSync(join(tmpdir(), 'web-game-e2e-')), 'config.json');
  writeFileSync(configPath, JSON.stringify({ ...fixtures, devnetFaucet: true, paymasterApiKey: API_KEY }));
  process.env.WEB_GAME_RPC = devnet.rpcUrl;
  process.env.WEB_GAME_PAYMASTER = paymaster.url;
  process.env.WEB_GAME_CONFIG = configPath;
  log(`devnet at ${devnet.rpcUrl}, game at ${fixtures.counterAddress}`);

  await build({ root, logLevel: 'warn' });
  const port = await freePort();
  server = await preview({ root, preview: { port, strictPort: true }, logLevel: 'warn' });
  const origin = `http://localhost:${port}`;
  log(`app built and served at ${origin}`);

  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => log(`page error: ${error.message}`));
  page.on('console', (message) => message.type() === 'error' && log(`page console: ${message.text()}`));
  const devtools = await context.newCDPSession(page);
  await devtools.send('WebAuthn.enable');
  const { authenticatorId } = await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      hasPrf: true,
      automaticPresenceSimulation: true,
    },
  });
  let signatures = 0;
  devtools.on('WebAuthn.credentialAsserted', () => {
    signatures += 1;
  });
  // The authenticator's own counter, as a second witness of the number of signatures.
  const signCount = async () => {
    const { credentials } = await devtools.send('WebAuthn.getCredentials', { authenticatorId });
    return credentials.reduce((total, credential) => total + credential.signCount, 0);
  };

  const text = (testId) => page.getByTestId(testId).innerText();
  const shownError = () => page.getByTestId('error').innerText({ timeout: 1000 }).catch(() => undefined);
  // Polls `check` until it holds; fails at once if the page shows a new error meanwhile.
  const waitFor = async (what, check, timeout = 60_000) => {
    const deadline = Date.now() + timeout;
    const earlier = await shownError();
    for (;;) {
      if (await check()) return;
      const error = await shownError();
      if (error !== undefined && error !== earlier) throw new Error(`waiting for ${what}, the page showed: ${error}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await page.waitForTimeout(100);
    }
  };
  // Clicks `testId` and waits until the page shows the refusal `code` (an earlier error on screen
  // does not count: the click's own outcome is awaited).
  const clickExpectingRefusal = async (testId, code) => {
    await page.getByTestId(testId).click();
    const deadline = Date.now() + 60_000;
    let shown;
    while (Date.now() < deadline) {
      shown = await page.getByTestId('error').getAttribute('data-code', { timeout: 1000 }).catch(() => undefined);
      if (shown === code && !(await page.getByTestId(testId).isDisabled())) return;
      await page.waitForTimeout(100);
    }
    throw new Error(`clicking ${testId}: expected the refusal ${code}, the page shows ${shown ?? 'no error'}`);
  };
  const score = async () => BigInt(await text('score'));
  const onChainScore = async (account) => {
    const [value] = await devnet.provider.callContract({ contractAddress: fixtures.counterAddress, entrypoint: 'get', calldata: [account] });
    return BigInt(value);
  };
  const move = async (expectedScore) => {
    await page.getByTestId('move').click();
    await waitFor(`score ${expectedScore}`, async () => (await text('score')) === String(expectedScore));
  };

  await page.goto(`${origin}/`);

  // 1. A passkey account: the credential is created, then it signs its own deployment.
  await page.getByTestId('create-account').click();
  await waitFor('the account', async () => (await page.getByTestId('account-address').count()) > 0);
  const account = await text('account-address');
  const [owner] = await devnet.provider.callContract({ contractAddress: account, entrypoint: 'get_owner', calldata: [] });
  assert.notEqual(BigInt(owner), 0n, 'the deployed account has a passkey owner');
  // Measured, not asserted: the L2 gas of the latest transaction (the passkey-signed deployment).
  const lastL2Gas = async () => {
    const block = await devnet.provider.getBlockWithReceipts('latest');
    const last = block.transactions[block.transactions.length - 1];
    return BigInt(last.receipt.execution_resources.l2_gas);
  };
  log(`the passkey-signed deployment used ${await lastL2Gas()} L2 gas`);
  assert.equal(signatures, 1, 'account creation: one signature (the deployment)');
  log(`passkey account ${account} deployed (1 signature)`);

  // 2. One tap authorizes a session.
  await page.getByTestId('start-session').click();
  await waitFor('an active session', async () => (await page.getByTestId('session-status').innerText().catch(() => '')) === 'active');
  assert.equal(signatures, 2, 'the session: exactly one more signature');
  const countBeforeMoves = await signCount();
  const persisted = await text('persisted');
  log(`session authorized with one tap (${persisted})`);

  // 3. Ten moves, no prompt.
  for (let played = 1; played <= 10; played += 1) await move(played);
  assert.equal(await onChainScore(account), 10n, 'ten moves on the chain');
  assert.equal(signatures, 2, 'no WebAuthn signature during the ten moves');
  assert.equal(await signCount(), countBeforeMoves, "the authenticator's counter agrees: no signature during the moves");
  await waitFor('calls left refreshed', async () => (await text('calls-left')) === '90');
  log('10 moves played with no further WebAuthn signature');
  if (process.env.SCREENSHOT) {
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    log(`screenshot saved to ${process.env.SCREENSHOT}`);
  }

  // 3b. Gasless: the game's paymaster pays; the player's STRK does not move, still no prompt.
  const strk = async () => {
    const [low] = await devnet.provider.callContract({ contractAddress: STRK, entrypoint: 'balance_of', calldata: [account] });
    return BigInt(low);
  };
  const balanceBefore = await strk();
  await page.getByTestId('gasless').check();
  for (const expectedScore of [11, 12, 13]) await move(expectedScore);
  assert.equal(await strk(), balanceBefore, "the sponsored moves cost the player's account nothing");
  assert.equal(await onChainScore(account), 13n);
  assert.equal(signatures, 2, 'no WebAuthn signature during the gasless moves');
  await page.getByTestId('gasless').uncheck();
  log('3 gasless moves through session-paymaster: the account paid nothing');

  // 4. A call outside the session is refused in the page, before anything is signed or sent.
  const nonce = await devnet.provider.getNonceForAddress(account);
  await clickExpectingRefusal('cheat', 'METHOD_NOT_ALLOWED');
  assert.match(await text('error'), /`reset`/);
  assert.equal(await devnet.provider.getNonceForAddress(account), nonce, 'nothing was sent');
  assert.equal(await onChainScore(account), 13n);
  log('the disallowed call was refused in the page (METHOD_NOT_ALLOWED)');

  // 5. After a reload the session is gone from memory; with PRF it comes back from its encrypted copy.
  if (persisted.startsWith('encrypted')) {
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('session-keys:')).map((key) => localStorage.getItem(key)));
    assert.equal(stored.length, 1);
    assert.doesNotMatch(stored[0], /"secret"|"sessionKey"/, 'only ciphertext is stored');
    await page.reload();
    await page.getByTestId('restore-session').click();
    await waitFor('the restored session', async () => (await page.getByTestId('session-status').innerText().catch(() => '')) === 'active');
    assert.equal(signatures, 3, 'restoring: one signature (the PRF), no new authorization');
    await move(14);
    assert.equal(signatures, 3);
    log('encrypted session restored after a reload with one tap, and used');
  } else {
    log('the authenticator has no PRF: the session was kept in memory only (nothing stored)');
  }

  // 6. Expiry, by the chain's clock: the page refuses the move.
  await devnet.advanceTime(2 * 3600);
  await clickExpectingRefusal('move', 'EXPIRED');
  await waitFor('the expired status', async () => (await text('session-status')) === 'expired');
  log('after expiry the move was refused (EXPIRED)');

  // 7. A new session (one tap), then logout revokes it on-chain (one tap); the page refuses moves.
  const before = signatures;
  await page.getByTestId('start-session').click();
  await waitFor('a new active session', async () => (await text('session-status')) === 'active');
  assert.equal(signatures, before + 1);
  const expected = (await score()) + 1n;
  await move(expected);
  await page.getByTestId('revoke').click();
  await waitFor('the revoked status', async () => (await text('session-status')) === 'revoked');
  assert.equal(signatures, before + 2, 'revoking: one signature');
  log(`the passkey-signed revocation used ${await lastL2Gas()} L2 gas`);
  await clickExpectingRefusal('move', 'REVOKED');
  assert.equal(await onChainScore(account), expected, 'no move after the revocation');
  log('logout revoked the session on-chain; the next move was refused (REVOKED)');

  log(`all web checks passed (${signatures} WebAuthn signatures in all)`);
} finally {
  await browser?.close();
  await server?.close();
  await paymaster?.stop();
  await devnet.stop();
}
