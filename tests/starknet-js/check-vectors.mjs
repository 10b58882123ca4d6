// Recomputes every SNIP-12 hash of the shared vectors (tests/vectors/session_v3.json) with
// starknet.js — the implementation wallets (Argent X, Braavos) sign typed data with — and fails
// on the first difference from what the Rust SDK and the Cairo contract compute. Run by
// ./scripts/test.sh (scripts/check-starknet-js.sh).

import { readFileSync } from 'node:fs';
import { hash, merkle, typedData } from 'starknet';

const vectorsPath = new URL('../vectors/session_v3.json', import.meta.url);
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8'));
const REVISION = '1';
let checks = 0;
const failures = [];

function same(what, actual, expected) {
  checks += 1;
  if (BigInt(actual) !== BigInt(expected)) {
    failures.push(`${what}: starknet.js ${actual}, vectors ${expected}`);
  }
}

// Type strings and type hashes of the session protocol's types.
for (const [name, { encoded, hash: typeHash }] of Object.entries(vectors.encoded_types)) {
  checks += 1;
  const js = typedData.encodeType(vectors.types, name, REVISION);
  if (js !== encoded) failures.push(`type ${name}: starknet.js ${js}, vectors ${encoded}`);
  same(`type hash of ${name}`, typedData.getTypeHash(vectors.types, name, REVISION), typeHash);
}

for (const session of vectors.sessions) {
  const data = session.typed_data;
  const label = `session ${session.name}`;
  checks += 1;
  if (!typedData.validateTypedData(data)) failures.push(`${label}: not valid typed data for starknet.js`);
  // What the owner's wallet signs: the message hash of the typed data for the account.
  same(`${label} message hash`, typedData.getMessageHash(data, vectors.account), session.session_hash);
  same(
    `${label} domain hash`,
    typedData.getStructHash(data.types, 'StarknetDomain', data.domain, REVISION),
    vectors.session_domain_hash,
  );
  same(
    `${label} policy hash`,
    typedData.getStructHash(data.types, 'Policy', data.message.Policy, REVISION),
    session.policy_hash,
  );
  if (session.struct_hash) {
    same(`${label} struct hash`, typedData.getStructHash(data.types, 'Session', data.message, REVISION), session.struct_hash);
  }
  // Each allowed method's leaf and argument rules, and the tree's root.
  const leaves = data.message['Allowed Methods'].map((method) =>
    typedData.getStructHash(data.types, 'Allowed Method', method, REVISION),
  );
  (session.allowed_methods ?? []).forEach((method, index) => {
    same(`${label} leaf ${index}`, leaves[index], method.leaf);
    data.message['Allowed Methods'][index]['Argument Rules'].forEach((rule, ruleIndex) =>
      same(
        `${label} leaf ${index} rule ${ruleIndex}`,
        typedData.getStructHash(data.types, 'Argument Rule', rule, REVISION),
        method.argument_rule_hashes[ruleIndex],
      ),
    );
  });
  same(`${label} root`, new merkle.MerkleTree(leaves, hash.computePoseidonHash).root, session.allowed_methods_root);
}

// SNIP-9 outside executions (their message hash is what session keys and owners sign).
const outsideTypes = {
  StarknetDomain: [
    { name: 'name', type: 'shortstring' },
    { name: 'version', type: 'shortstring' },
    { name: 'chainId', type: 'shortstring' },
    { name: 'revision', type: 'shortstring' },
  ],
  OutsideExecution: [
    { name: 'Caller', type: 'ContractAddress' },
    { name: 'Nonce', type: 'felt' },
    { name: 'Execute After', type: 'u128' },
    { name: 'Execute Before', type: 'u128' },
    { name: 'Calls', type: 'Call*' },
  ],
  Call: [
    { name: 'To', type: 'ContractAddress' },
    { name: 'Selector', type: 'selector' },
    { name: 'Calldata', type: 'felt*' },
  ],
};
for (const execution of vectors.outside_executions) {
  const data = {
    types: outsideTypes,
    primaryType: 'OutsideExecution',
    domain: { name: 'Account.execute_from_outside', version: '2', chainId: 'SN_SEPOLIA', revision: REVISION },
    message: {
      Caller: execution.caller,
      Nonce: execution.nonce,
      'Execute After': execution.execute_after,
      'Execute Before': execution.execute_before,
      Calls: execution.calls.map((call) => ({ To: call.to, Selector: call.selector, Calldata: call.calldata })),
    },
  };
  same(`outside execution ${execution.name}`, typedData.getMessageHash(data, vectors.account), execution.message_hash);
}

if (failures.length > 0) {
  console.error(`starknet.js disagrees with the vectors on ${failures.length} of ${checks} hashes:`);
  for (const failure of failures) console.error(`  ${failure}`);
  process.exit(1);
}
console.log(
  `starknet.js ${JSON.parse(readFileSync(new URL('./node_modules/starknet/package.json', import.meta.url), 'utf8')).version}: ` +
    `all ${checks} hashes of ${vectors.sessions.length} sessions and ${vectors.outside_executions.length} outside executions match`,
);
