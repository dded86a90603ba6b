//! Criterion bench of matching-key token verification (`cargo bench -p bench --bench token`,
//! run by `cargo xtask bench`): `backend::auth::matching_key::verify` next to a plain `jsonwebtoken::decode`
//! of the same HS256 token. Criterion reports the time per call averaged over each sample's
//! batch of calls; per-call percentiles come from the HDR loop in `webchat-bench`.

use bench::tokens::Fixture;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn verification(criterion: &mut Criterion) {
    let fixture = Fixture::new();
    assert!(
        fixture.verify_ours() && fixture.verify_plain(),
        "the bench token verifies"
    );
    let mut group = criterion.benchmark_group("token");
    group.bench_function("verify", |bench| {
        bench.iter(|| black_box(black_box(&fixture).verify_ours()))
    });
    group.bench_function("decode", |bench| {
        bench.iter(|| black_box(black_box(&fixture).verify_plain()))
    });
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
