//! Off-chain speed of the SDK: creating a session (key, tree, owner signature) and signing a
//! session transaction. `./scripts/bench.sh` runs these and records them in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, Criterion};
use session_sdk::protocol::{SessionBuilder, SessionKey};
use session_sdk::{authorize_session, SessionAccount};
use starknet::core::types::{Call, Felt};
use starknet::signers::SigningKey;

const CHAIN_ID: Felt = Felt::from_hex_unchecked("0x534e5f5345504f4c4941");
const ACCOUNT: Felt = Felt::from_hex_unchecked("0x5e5510acc0");
const GAME: Felt = Felt::from_hex_unchecked("0x6a3e");

// The closures return the SDK's own `Result`s, whose error is large; it never leaves the bench.
#[allow(clippy::result_large_err)]
fn session_speed(c: &mut Criterion) {
    let owner = SigningKey::from_secret_scalar(Felt::from(0x0123_4567u32));
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    c.bench_function("create_session", |b| {
        b.iter(|| {
            let key = SessionKey::generate().expect("randomness");
            let session = SessionBuilder::new(key.public_key())
                .expires_at(2_000_000_000)
                .allow(GAME, "increase")
                .build();
            runtime.block_on(authorize_session(&owner, &session.expect("a valid session"), CHAIN_ID, ACCOUNT))
        })
    });

    let key = SessionKey::generate().expect("randomness");
    let session = SessionBuilder::new(key.public_key())
        .expires_at(2_000_000_000)
        .allow(GAME, "increase")
        .build()
        .expect("a valid session");
    let authorization = runtime.block_on(authorize_session(&owner, &session, CHAIN_ID, ACCOUNT)).ok();
    let account = SessionAccount::new((), ACCOUNT, CHAIN_ID, session, key, authorization);
    let calls =
        [Call { to: GAME, selector: starknet::macros::selector!("increase"), calldata: vec![Felt::ONE] }];
    let mut hash = Felt::ZERO;
    c.bench_function("sign_session_transaction", |b| {
        b.iter(|| {
            hash += Felt::ONE;
            account.sign_calls(hash, &calls)
        })
    });
}

criterion_group!(benches, session_speed);
criterion_main!(benches);
