/** Transaction hashes of the v3 transactions an account signs, computed as starknet.js's own signer does. */
import {
  type Call,
  type DeployAccountSignerDetails,
  type InvocationsSignerDetails,
  CallData,
  hash,
  stark,
  transaction,
} from 'starknet';

import { SessionKeysError } from './errors.js';

/** The hash of an invoke v3 (or its query version) with these details. */
export function invokeTransactionHash(calls: Call[], details: InvocationsSignerDetails): bigint {
  if (!['0x3', '0x100000000000000000000000000000003'].includes(details.version)) {
    throw new SessionKeysError('UNSUPPORTED_VERSION', `transaction version ${details.version} is not v3`);
  }
  return BigInt(
    hash.calculateInvokeTransactionHash({
      ...details,
      version: details.version as '0x3',
      senderAddress: details.walletAddress,
      compiledCalldata: transaction.getExecuteCalldata(calls, details.cairoVersion),
      nonceDataAvailabilityMode: stark.intDAM(details.nonceDataAvailabilityMode),
      feeDataAvailabilityMode: stark.intDAM(details.feeDataAvailabilityMode),
    }),
  );
}

/** The hash of a deploy-account v3 with these details. */
export function deployAccountTransactionHash(details: DeployAccountSignerDetails): bigint {
  return BigInt(
    hash.calculateDeployAccountTransactionHash({
      ...details,
      salt: details.addressSalt,
      compiledConstructorCalldata: CallData.compile(details.constructorCalldata),
      nonceDataAvailabilityMode: stark.intDAM(details.nonceDataAvailabilityMode),
      feeDataAvailabilityMode: stark.intDAM(details.feeDataAvailabilityMode),
    }),
  );
}

/** Whether a transaction version is a query (fee-estimation) version: 2^128 + version. */
export function isQueryVersion(version: string): boolean {
  return BigInt(version) >= 2n ** 128n;
}
