// The protocol's refusals, case by case, with the same inputs and outcomes as the Rust crate's
// unit tests (session_core::preflight, session, policy): every rule rejects a violation with its
// specific error, and accepts what is exactly at its limit.
import { describe, expect, it } from 'vitest';

import {
  ANY_CALLER,
  BuildError,
  type FeltCall,
  MethodTree,
  PaymasterError,
  PreflightError,
  Session,
  SessionSigner,
  type SessionUsage,
  StarkKey,
  U128_MAX,
  U256_MAX,
  checkBuiltTransaction,
  checkSessionCalls,
  checkSessionFee,
  checkSessionLifetime,
  decryptSession,
  emptyUsage,
  encryptSession,
  merklePairHash,
  outsideExecutionFromTypedData,
  outsideExecutionHash,
  outsideExecutionTypedData,
  remainingOf,
  selectorOf,
  spendKey,
} from '../src/index.js';

const ACCOUNT = 0xaccn;
const GAME = 0x6a3en;
const TOKEN = 0x70cen;
const OTHER_TOKEN = 0x70cfn;
const UNLIMITED_TOKEN = 0x70d0n;

const call = (to: bigint, name: string, calldata: bigint[] = []): FeltCall => ({ to, selector: selectorOf(name), calldata });
const transfer = (token: bigint, amount: bigint): FeltCall => call(token, 'transfer', [0xb0bn, amount, 0n]);
const approve = (spender: bigint): FeltCall => call(TOKEN, 'approve', [spender, 1n, 0n]);

const simple = (): Session =>
  Session.build({ sessionKey: 1n, expiresAt: 1000, allowedMethods: [{ contractAddress: GAME, entrypoint: 'increase' }] });

const withPolicy = (): Session =>
  Session.build({
    sessionKey: 1n,
    expiresAt: 1000,
    allowedMethods: [
      { contractAddress: GAME, entrypoint: 'increase' },
      { contractAddress: TOKEN, entrypoint: 'transfer' },
      { contractAddress: OTHER_TOKEN, entrypoint: 'transfer' },
      { contractAddress: UNLIMITED_TOKEN, entrypoint: 'approve' },
      { contractAddress: TOKEN, entrypoint: 'approve', rules: [{ kind: 'equal', index: 0, value: 0x5e11n }] },
    ],
    policy: {
      maxFeePerTx: 100,
      feeBudget: 250,
      maxCalls: 2,
      spendLimits: [
        { token: TOKEN, amount: 1000 },
        { token: TOKEN, amount: 600, period: 86_400 },
        { token: UNLIMITED_TOKEN, amount: 'unlimited' },
      ],
    },
  });

function refusal(run: () => void): PreflightError {
  try {
    run();
  } catch (error) {
    if (error instanceof PreflightError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function used(spent: [bigint, number, bigint][], calls = 0, feesCommitted = 0n): SessionUsage {
  return { calls, feesCommitted, spent: new Map(spent.map(([token, period, amount]) => [spendKey(token, period), amount])) };
}

describe('pre-flight', () => {
  it('accepts allowed calls before expiry', () => {
    expect(() => checkSessionCalls(simple(), ACCOUNT, [call(GAME, 'increase')], 999)).not.toThrow();
  });

  it('names each reason for rejection', () => {
    const s = simple();
    expect(refusal(() => checkSessionCalls(s, ACCOUNT, [call(GAME, 'increase')], 1000))).toMatchObject({
      code: 'EXPIRED',
      message: 'session expired at 1000 (now 1000)',
    });
    const notAllowed = refusal(() => checkSessionCalls(s, ACCOUNT, [call(GAME, 'reset')], 0));
    expect(notAllowed.code).toBe('METHOD_NOT_ALLOWED');
    expect(notAllowed.message).toContain('0x6a3e');
    expect(refusal(() => checkSessionCalls(s, ACCOUNT, [call(ACCOUNT, 'increase')], 0)).code).toBe('CALL_TO_SELF');
    const many = Array.from({ length: 33 }, () => call(GAME, 'increase'));
    expect(refusal(() => checkSessionCalls(s, ACCOUNT, many, 0))).toMatchObject({
      code: 'TOO_MANY_CALLS',
      message: '33 calls exceed the maximum of 32 per session transaction',
    });
  });

  it('names the entrypoint when the caller knows it', () => {
    const names = new Map([[selectorOf('reset'), 'reset']]);
    expect(refusal(() => checkSessionCalls(simple(), ACCOUNT, [call(GAME, 'reset')], 0, emptyUsage(), names)).message).toBe(
      'the session does not allow calling `reset` on contract 0x6a3e',
    );
  });

  it('accepts spend limits exactly and refuses one unit over, daily before lifetime', () => {
    const s = Session.build({
      sessionKey: 1n,
      expiresAt: 1000,
      allowedMethods: [{ contractAddress: TOKEN, entrypoint: 'transfer' }],
      policy: { spendLimits: [{ token: TOKEN, amount: 1000 }, { token: TOKEN, amount: 600, period: 86_400 }] },
    });
    const half = transfer(TOKEN, 300n);
    expect(() => checkSessionCalls(s, ACCOUNT, [half, half], 0)).not.toThrow();
    expect(refusal(() => checkSessionCalls(s, ACCOUNT, [half, transfer(TOKEN, 301n)], 0))).toMatchObject({
      code: 'SPEND_LIMIT_EXCEEDED',
      message: 'moving 601 of token 0x70ce exceeds what the session may still move in this 1-day window: 600',
    });
    const usage = used([
      [TOKEN, 0, 999n],
      [TOKEN, 86_400, 0n],
    ]);
    expect(() => checkSessionCalls(s, ACCOUNT, [transfer(TOKEN, 1n)], 0, usage)).not.toThrow();
    expect(refusal(() => checkSessionCalls(s, ACCOUNT, [transfer(TOKEN, 2n)], 0, usage)).message).toContain('in total: 1');
  });

  it('reports what remains', () => {
    const remaining = remainingOf(
      withPolicy().policy,
      used(
        [
          [TOKEN, 0, 1000n],
          [TOKEN, 86_400, 100n],
        ],
        2,
        50n,
      ),
    );
    expect(remaining.calls).toBe(0);
    expect(remaining.fees).toBe(200n);
    expect(remaining.spend.map(({ left }) => left)).toEqual([0n, 500n]);
  });

  it('never counts an unlimited token', () => {
    const infinite = call(UNLIMITED_TOKEN, 'approve', [0x5e11n, U128_MAX, U128_MAX]);
    expect(() => checkSessionCalls(withPolicy(), ACCOUNT, [infinite, infinite], 0, used([[UNLIMITED_TOKEN, 0, U256_MAX]]))).not.toThrow();
  });

  it('moves nothing of an unlisted token, and reads amounts strictly', () => {
    expect(refusal(() => checkSessionCalls(withPolicy(), ACCOUNT, [transfer(OTHER_TOKEN, 1n)], 0)).code).toBe('TOKEN_NOT_ALLOWED');
    const noPolicy = Session.build({ sessionKey: 1n, expiresAt: 1000, allowedMethods: [{ contractAddress: TOKEN, entrypoint: 'transfer' }] });
    expect(refusal(() => checkSessionCalls(noPolicy, ACCOUNT, [transfer(TOKEN, 0n)], 0)).code).toBe('TOKEN_NOT_ALLOWED');
    expect(refusal(() => checkSessionCalls(withPolicy(), ACCOUNT, [call(TOKEN, 'transfer')], 0)).code).toBe('BAD_AMOUNT');
  });

  it('counts calls against the limit and checks argument rules', () => {
    const s = withPolicy();
    expect(() => checkSessionCalls(s, ACCOUNT, [call(GAME, 'increase')], 0, used([], 1))).not.toThrow();
    expect(refusal(() => checkSessionCalls(s, ACCOUNT, [call(GAME, 'increase'), call(GAME, 'increase')], 0, used([], 1)))).toMatchObject({
      code: 'CALL_LIMIT_REACHED',
      message: "2 more calls exceed the session's limit of 2 calls (1 made)",
    });
    expect(() => checkSessionCalls(s, ACCOUNT, [approve(0x5e11n)], 0)).not.toThrow();
    expect(refusal(() => checkSessionCalls(s, ACCOUNT, [approve(0x5e12n)], 0)).message).toContain(
      'argument 0 is 0x5e12, but must be 0x5e11',
    );
  });

  it('checks the fee cap and the fee budget', () => {
    const s = withPolicy();
    expect(() => checkSessionFee(s, 100n, 150n)).not.toThrow();
    expect(refusal(() => checkSessionFee(s, 101n, 0n))).toMatchObject({ code: 'FEE_CAP_EXCEEDED' });
    expect(refusal(() => checkSessionFee(s, 100n, 151n))).toMatchObject({
      code: 'FEE_BUDGET_EXCEEDED',
      message: "the transaction's maximum fee 100 exceeds the session's remaining fee budget of 99",
    });
    expect(() => checkSessionFee(simple(), U128_MAX, 0n)).not.toThrow();
  });
});

describe('building sessions', () => {
  const base = { sessionKey: 7n, expiresAt: 1000, allowedMethods: [{ contractAddress: GAME, entrypoint: 'increase' }] };
  const buildError = (spec: Parameters<typeof Session.build>[0]): BuildError => {
    try {
      Session.build(spec);
    } catch (error) {
      if (error instanceof BuildError) return error;
      throw error;
    }
    throw new Error('expected a BuildError');
  };

  it('refuses incomplete or invalid sessions with a specific code', () => {
    expect(buildError({ ...base, sessionKey: 0n }).code).toBe('ZERO_SESSION_KEY');
    expect(buildError({ ...base, expiresAt: 0 }).code).toBe('MISSING_EXPIRY');
    expect(buildError({ ...base, allowedMethods: [] }).code).toBe('NO_METHODS');
    expect(buildError({ ...base, allowedMethods: [{ contractAddress: GAME, entrypoint: 'bad name' }] }).code).toBe('INVALID_ENTRYPOINT');
    expect(buildError({ ...base, allowedMethods: [{ contractAddress: '0xzz', entrypoint: 'increase' }] }).code).toBe('INVALID_FELT');
    expect(buildError({ ...base, allowedMethods: [{ contractAddress: GAME, entrypoint: 'a', rules: [{ kind: 'one of', index: 0, values: [] }] }] }).code).toBe('EMPTY_RULE');
    expect(buildError({ ...base, policy: { spendLimits: [{ token: TOKEN, amount: 1, period: 1800 }] } }).code).toBe('SPEND_WINDOW_NOT_WHOLE_HOURS');
    expect(buildError({ ...base, policy: { spendLimits: [{ token: TOKEN, amount: 2n ** 128n }] } }).code).toBe('AMOUNT_ABOVE_U128');
    expect(buildError({ ...base, policy: { spendLimits: [{ token: TOKEN, amount: 1, period: 2 ** 32 * 3600 }] } }).code).toBe('WINDOW_TOO_LONG');
    expect(buildError({ ...base, policy: { limitsWindow: 3600 } }).code).toBe('BAD_LIMITS_WINDOW');
    expect(buildError({ ...base, policy: { maxCalls: 2, limitsWindow: 1800 } }).code).toBe('BAD_LIMITS_WINDOW');
  });

  it('normalises: the same permissions in any order give the same root and hash', () => {
    const methods = [
      { contractAddress: 0x111n, entrypoint: 'increase' },
      { contractAddress: 0x222n, entrypoint: 'transfer' },
      { contractAddress: 0x111n, entrypoint: 'reset' },
      { contractAddress: 0x333n, entrypoint: 'approve' },
    ];
    const one = Session.build({ ...base, allowedMethods: methods });
    const other = Session.build({ ...base, allowedMethods: [...methods].reverse().concat(methods[0]!) });
    expect(other.allowedMethodsRoot).toBe(one.allowedMethodsRoot);
    expect(other.hash(1n, 2n)).toBe(one.hash(1n, 2n));
    expect(other.allowedMethods).toHaveLength(4);
  });

  it('covers a call by the first leaf whose rules it satisfies', () => {
    const s = Session.build({
      ...base,
      allowedMethods: [
        { contractAddress: GAME, entrypoint: 'increase', rules: [{ kind: 'at most', index: 0, bound: 5n }] },
        { contractAddress: GAME, entrypoint: 'increase', rules: [{ kind: 'at least', index: 0, bound: 100n }] },
      ],
    });
    expect(() => s.leafIndexFor(call(GAME, 'increase', [5n]))).not.toThrow();
    expect(() => s.leafIndexFor(call(GAME, 'increase', [100n]))).not.toThrow();
    expect(() => s.leafIndexFor(call(GAME, 'increase', [50n]))).toThrow(/argument 0 is 50, but must be at most 5/);
    expect(() => s.leafIndexFor(call(GAME, 'increase', []))).toThrow(/argument 0 is missing/);
  });
});

describe('the Merkle tree', () => {
  it('a single leaf is its own root; an odd node pairs with 0', () => {
    expect(new MethodTree([42n]).root).toBe(42n);
    expect(new MethodTree([42n]).proof(0)).toEqual([]);
    const tree = new MethodTree([1n, 2n, 3n]);
    const left = merklePairHash(1n, 2n);
    expect(tree.root).toBe(merklePairHash(left, merklePairHash(3n, 0n)));
    expect(tree.proof(2)).toEqual([0n, left]);
  });

  it('every leaf proves and no outsider does', () => {
    const leaves = Array.from({ length: 37 }, (_, index) => BigInt(index * 7919 + 11));
    const tree = new MethodTree(leaves);
    leaves.forEach((leaf, index) => {
      expect(MethodTree.verify(leaf, tree.proof(index), tree.root)).toBe(true);
      expect(MethodTree.verify(leaf + 1n, tree.proof(index), tree.root)).toBe(false);
    });
    expect(() => tree.proof(37)).toThrow(RangeError);
  });
});

describe('Stark keys', () => {
  it('sign what starknet.js verifies', async () => {
    const { ec } = await import('starknet');
    const key = StarkKey.random();
    for (const hash of [1n, 2n ** 250n + 12345n, 2n ** 251n - 1n]) {
      const { r, s } = key.sign(hash);
      const signature = new ec.starkCurve.Signature(r, s);
      expect(ec.starkCurve.verify(signature, `0x${hash.toString(16)}`, ec.starkCurve.getPublicKey(`0x${key.exportSecret().toString(16)}`))).toBe(true);
    }
    expect(() => key.sign(2n ** 251n)).toThrow(RangeError);
    expect(JSON.stringify(key)).not.toContain(key.exportSecret().toString(16));
  });
});

describe('encrypted persistence', () => {
  const material = () => {
    const sessionKey = StarkKey.random();
    return {
      accountAddress: ACCOUNT,
      chainId: 0x534e5f5345504f4c4941n,
      session: withPolicy(),
      sessionKey,
      ownerAuthorization: [1n, 2n],
    };
  };

  it('round-trips with the same PRF output and never stores the key in the clear', async () => {
    const original = material();
    const prf = crypto.getRandomValues(new Uint8Array(32));
    const record = await encryptSession(original, prf);
    expect(JSON.stringify(record)).not.toContain(original.sessionKey.exportSecret().toString(16));
    const restored = await decryptSession(record, prf);
    expect(restored.session.hash(restored.chainId, restored.accountAddress)).toBe(original.session.hash(original.chainId, ACCOUNT));
    expect(restored.sessionKey.publicKey).toBe(original.sessionKey.publicKey);
    expect(restored.ownerAuthorization).toEqual([1n, 2n]);
  });

  it('refuses another PRF output with StorageError CORRUPT', async () => {
    const record = await encryptSession(material(), new Uint8Array(32).fill(1));
    await expect(decryptSession(record, new Uint8Array(32).fill(2))).rejects.toMatchObject({ name: 'StorageError', code: 'CORRUPT' });
  });
});

describe('SNIP-9 typed data from a paymaster', () => {
  it('reads the outside execution back, and refuses one without a nonce', () => {
    const execution = outsideExecutionFromTypedData({
      types: {},
      primaryType: 'OutsideExecution',
      domain: { name: 'Account.execute_from_outside', version: '2', chainId: 'SN_SEPOLIA', revision: '1' },
      message: {
        Caller: '0x414e595f43414c4c4552',
        Nonce: '0x1',
        'Execute After': '0x0',
        'Execute Before': '0xffffffff',
        Calls: [{ To: '0x123', Selector: 'transfer', Calldata: ['0x1', '0x2', '0x3'] }],
      },
    });
    expect(execution.calls[0]).toEqual({ to: 0x123n, selector: selectorOf('transfer'), calldata: [1n, 2n, 3n] });
    expect(() =>
      outsideExecutionFromTypedData({ types: {}, primaryType: 'OutsideExecution', domain: {}, message: { Calls: [] } }),
    ).toThrow(PreflightError);
  });
});

describe('what a paymaster built is checked before the session signs it', () => {
  const CHAIN = 0x534e5f5345504f4c4941n;
  const STRK = 0x4718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938dn;
  const requested = [call(GAME, 'increase', [1n])];
  const built = (calls: FeltCall[], overrides: { chainId?: string; types?: object } = {}) => {
    const data = outsideExecutionTypedData({ caller: ANY_CALLER, nonce: 7n, executeAfter: 0n, executeBefore: 0xffffffffn, calls }, CHAIN);
    return { ...data, types: { ...data.types, ...overrides.types }, domain: { ...data.domain, chainId: overrides.chainId ?? data.domain.chainId } };
  };
  const sponsored = { mode: 'sponsored' } as const;
  const payInStrk = { mode: 'default', gasToken: STRK, maxFeeInGasToken: 1000n } as const;
  const fee = (amount: bigint, token = STRK) => call(token, 'transfer', [0xfeen, amount, 0n]);
  const tampered = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(PaymasterError);
      return (error as PaymasterError).message;
    }
    throw new Error('expected PaymasterError TAMPERED');
  };

  it('accepts exactly the requested calls, and one fee transfer up to the maximum when paying in a token', () => {
    expect(checkBuiltTransaction(built(requested), CHAIN, ACCOUNT, requested, sponsored).calls).toEqual(requested);
    expect(checkBuiltTransaction(built([...requested, fee(1000n)]), CHAIN, ACCOUNT, requested, payInStrk).calls).toHaveLength(2);
  });

  it('refuses changed calldata, added calls, another chain, other types, and fee transfers beyond the agreement', () => {
    expect(tampered(() => checkBuiltTransaction(built([call(GAME, 'increase', [2n])]), CHAIN, ACCOUNT, requested, sponsored))).toContain('call 0 differs');
    expect(tampered(() => checkBuiltTransaction(built([...requested, fee(1n)]), CHAIN, ACCOUNT, requested, sponsored))).toContain('1 calls added');
    expect(tampered(() => checkBuiltTransaction(built(requested, { chainId: 'SN_MAIN' }), CHAIN, ACCOUNT, requested, sponsored))).toContain('another chain');
    const otherTypes = { Call: [{ name: 'To', type: 'ContractAddress' }, { name: 'Selector', type: 'selector' }, { name: 'Data', type: 'felt*' }] };
    expect(tampered(() => checkBuiltTransaction(built(requested, { types: otherTypes }), CHAIN, ACCOUNT, requested, sponsored))).toContain('types');
    expect(tampered(() => checkBuiltTransaction(built([...requested, fee(1001n)]), CHAIN, ACCOUNT, requested, payInStrk))).toContain('above the maximum');
    expect(tampered(() => checkBuiltTransaction(built([...requested, fee(1n, TOKEN)]), CHAIN, ACCOUNT, requested, payInStrk))).toContain('not a transfer of the gas token');
    expect(tampered(() => checkBuiltTransaction(built([...requested, fee(1n), fee(1n)]), CHAIN, ACCOUNT, requested, payInStrk))).toContain('2 calls added');
    expect(tampered(() => checkBuiltTransaction(built([]), CHAIN, ACCOUNT, requested, sponsored))).toContain('call 0 differs');
  });
});

describe('SNIP-9 typed data', () => {
  it('has the message hash the account computes, and reads back to the same execution', async () => {
    const { typedData } = await import('starknet');
    const execution = { caller: ANY_CALLER, nonce: 1n, executeAfter: 0n, executeBefore: 0xffffffffn, calls: [call(0x123n, 'transfer', [1n, 2n, 3n])] };
    const data = outsideExecutionTypedData(execution, 0x534e5f5345504f4c4941n);
    // SNIP-9's worked value (SN_SEPOLIA, account 0x1234).
    expect(BigInt(typedData.getMessageHash(data, '0x1234'))).toBe(0x1de3c167e7a4b25d0e625ebe9fab82fd8012a1543bb8790ff3e6d8490b8b4ecn);
    expect(outsideExecutionHash(execution, 0x534e5f5345504f4c4941n, 0x1234n)).toBe(0x1de3c167e7a4b25d0e625ebe9fab82fd8012a1543bb8790ff3e6d8490b8b4ecn);
    expect(outsideExecutionFromTypedData(data)).toEqual(execution);
  });
});

describe('what the hooks require of a session', () => {
  it('an expiry, in the future, within the maximum lifetime', () => {
    expect(() => checkSessionLifetime(undefined, 1000, 3600)).toThrow(expect.objectContaining({ code: 'MISSING_EXPIRY' }) as Error);
    expect(() => checkSessionLifetime(0, 1000, 3600)).toThrow(BuildError);
    expect(() => checkSessionLifetime(1000, 1000, 3600)).toThrow(PreflightError);
    expect(() => checkSessionLifetime(4601, 1000, 3600)).toThrow('a session of 3601 s exceeds the maximum lifetime of 3600 s');
    expect(() => checkSessionLifetime(4600, 1000, 3600)).not.toThrow();
  });
});

describe('off-chain messages', () => {
  const message = { domainHash: 0xd0a11n, typeHash: 0xde5n };
  const signer = () => {
    const key = StarkKey.random();
    const session = Session.build({
      sessionKey: key.publicKey,
      expiresAt: 1000,
      allowedMethods: [{ contractAddress: GAME, entrypoint: 'increase' }],
      allowedMessages: [message],
    });
    return new SessionSigner({ accountAddress: ACCOUNT, chainId: 1n, session, sessionKey: key });
  };

  it('a session signs the kinds it lists, and refuses any other', async () => {
    const session = signer();
    expect(session.signAllowedMessage(message, [1n, 2n]).signature[0]).toBe(0x73657373696f6e2d6d6573736167652d7631n);
    expect(() => session.signAllowedMessage({ ...message, typeHash: 0xde6n }, [])).toThrow(
      expect.objectContaining({ code: 'MESSAGE_NOT_ALLOWED' }) as Error,
    );
    await expect(
      session.signMessage({ types: {}, primaryType: 'Permit', domain: { name: 'Token' }, message: {} }, '0xacc'),
    ).rejects.toMatchObject({ code: 'MESSAGE_NOT_ALLOWED' });
  });
});
