use proptest::prelude::*;

use super::decide::{cred_policy, fs_policy, mcp_policy, network_policy};
use crate::artifact::Artifact;
use crate::wire::{crc32, FORMAT_VERSION, HEADER_LEN};
use crate::{LoadError, Policy};

/// One artifact using every table.
fn rich() -> Artifact {
    let mut a = network_policy().art;
    let offset = |x: u32, by: usize| if x == 0 { 0 } else { x + by as u32 };
    for part in [fs_policy().art, cred_policy().art, mcp_policy().art] {
        let (rules, lists) = (a.rules.len() as u32, a.candidates.len() - 1);
        let mut p = part;
        for list in p.candidates.iter_mut() {
            for r in list.iter_mut() {
                *r += rules;
            }
        }
        for r in &mut p.rules {
            r.id = format!("{}.{}", a.rules.len(), r.id);
        }
        let shift = |a: &mut crate::artifact::Automata| {
            for d in &mut a.dfas {
                for r in &mut d.rules {
                    *r += rules;
                }
            }
        };
        for root in &mut p.filesystem.roots {
            for (_, c) in root.exact.iter_mut().chain(root.prefix.iter_mut()) {
                *c = offset(*c, lists);
            }
            for (_, _, c) in root.extension.iter_mut() {
                *c = offset(*c, lists);
            }
            for (_, a) in root.globs.iter_mut() {
                shift(a);
            }
        }
        let t = &mut p.credentials;
        for (_, c) in t.exact.iter_mut().chain(&mut t.prefix).chain(&mut t.globs) {
            *c = offset(*c, lists);
        }
        shift(&mut t.automata);
        for s in &mut p.mcp.servers {
            s.rule += rules;
            let t = &mut s.tools;
            for (_, c) in t.exact.iter_mut().chain(&mut t.prefix).chain(&mut t.globs) {
                *c = offset(*c, lists);
            }
            shift(&mut t.automata);
        }
        a.rules.extend(p.rules);
        a.candidates.extend(p.candidates.into_iter().skip(1));
        a.filesystem.roots.extend(p.filesystem.roots);
        if !p.credentials.exact.is_empty() {
            a.credentials = p.credentials;
        }
        a.mcp.servers.extend(p.mcp.servers);
    }
    a.meta.description = "every table".into();
    a.meta.owner = "sec@example.com".into();
    a.defaults = [
        crate::Effect::Deny,
        crate::Effect::Ask,
        crate::Effect::Allow,
        crate::Effect::Deny,
    ];
    // The mcp default is `pass` (format 7): it round-trips, and a version
    // field flipped to 6 is refused by it.
    a.passes = [false, false, false, true];
    a
}

#[test]
fn crc32_known_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn round_trip_is_identity() {
    let a = rich();
    let p = Policy::from_artifact(a.clone()).expect("rich artifact is valid");
    let bytes = a.to_bytes();
    assert_eq!(Artifact::from_bytes(&bytes), Ok(a.clone()));
    let q = Policy::from_bytes(&bytes).expect("loads");
    assert_eq!(q.artifact(), p.artifact());
    assert_eq!(q.artifact().to_bytes(), bytes);
    let empty = super::decide::B::new().art;
    assert_eq!(Artifact::from_bytes(&empty.to_bytes()), Ok(empty));
}

#[test]
fn bad_magic_is_reported() {
    assert_eq!(
        Policy::from_bytes(b"policy x {}").err(),
        Some(LoadError::BadMagic)
    );
    assert_eq!(
        Policy::from_bytes(b"").err(),
        Some(LoadError::Truncated {
            expected: 32,
            got: 0
        })
    );
}

#[test]
fn truncation_reports_expected_and_actual_sizes() {
    let bytes = rich().to_bytes();
    let n = bytes.len();
    let cut = &bytes[..n - 10];
    let err = Policy::from_bytes(cut).expect_err("truncated");
    assert_eq!(
        err,
        LoadError::Truncated {
            expected: n as u64,
            got: n as u64 - 10
        }
    );
    assert_eq!(
        err.to_string(),
        format!("artifact truncated: expected {n} bytes, got {}", n - 10)
    );
    let err = Policy::from_bytes(&bytes[..20]).expect_err("truncated header");
    assert_eq!(
        err.to_string(),
        "artifact truncated: expected 32 bytes, got 20"
    );
    // Every shorter prefix is refused as truncated: inside the header the
    // header size is expected, after it the announced size.
    for len in 0..n {
        let expected = if len < HEADER_LEN { HEADER_LEN } else { n } as u64;
        assert_eq!(
            Policy::from_bytes(&bytes[..len]).err(),
            Some(LoadError::Truncated {
                expected,
                got: len as u64
            }),
            "prefix of {len} bytes"
        );
    }
}

#[test]
fn a_bit_flip_is_a_checksum_mismatch() {
    let good = rich().to_bytes();
    let stored = u32::from_le_bytes(good[24..28].try_into().unwrap());
    let mut bytes = good.clone();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x10;
    let err = Policy::from_bytes(&bytes).expect_err("corrupted");
    let computed = crc32(&bytes[HEADER_LEN..]);
    assert_eq!(err, LoadError::ChecksumMismatch { stored, computed });
    assert_eq!(
        err.to_string(),
        format!(
            "artifact checksum mismatch: header says {stored:#010x}, payload has {computed:#010x} (file corrupted)"
        )
    );
    // CRC-32 catches every single-bit error: a flip anywhere in the payload
    // (one bit per byte, rotating) is a checksum mismatch.
    for i in HEADER_LEN..good.len() {
        let mut bytes = good.clone();
        bytes[i] ^= 1 << (i % 8);
        assert!(
            matches!(
                Policy::from_bytes(&bytes),
                Err(LoadError::ChecksumMismatch { .. })
            ),
            "flip in byte {i}"
        );
    }
    // A flip of any bit of the header is refused too (bad magic, version,
    // flags, size, checksum or reserved field).
    for i in 0..HEADER_LEN {
        for bit in 0..8 {
            let mut bytes = good.clone();
            bytes[i] ^= 1 << bit;
            assert!(
                Policy::from_bytes(&bytes).is_err(),
                "flip of bit {bit} in header byte {i}"
            );
        }
    }
}

#[test]
fn a_newer_version_is_refused_naming_both_versions() {
    let good = rich().to_bytes();
    let mut bytes = good.clone();
    let newer = FORMAT_VERSION + 1;
    bytes[8..12].copy_from_slice(&newer.to_le_bytes());
    // The checksum covers the payload only, so it still matches: the
    // version is the one thing that differs.
    let stored = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    assert_eq!(stored, crc32(&bytes[HEADER_LEN..]));
    assert_eq!(bytes[..8], good[..8]);
    assert_eq!(bytes[12..], good[12..]);
    let err = Policy::from_bytes(&bytes).expect_err("refused");
    assert_eq!(
        err,
        LoadError::UnsupportedVersion {
            found: newer,
            supported: FORMAT_VERSION
        }
    );
    assert_eq!(
        err.to_string(),
        "artifact format version 8 is newer than this runtime supports (version 7); \
         upgrade the runtime or compile with a matching compiler"
    );
    // Far newer, and older, versions say so too.
    bytes[8..12].copy_from_slice(&9u32.to_le_bytes());
    let msg = Policy::from_bytes(&bytes).expect_err("refused").to_string();
    assert!(
        msg.contains("version 9") && msg.contains("version 7") && msg.contains("newer"),
        "{msg}"
    );
    for old in [1u32, 2] {
        bytes[8..12].copy_from_slice(&old.to_le_bytes());
        assert_eq!(
            Policy::from_bytes(&bytes).expect_err("refused").to_string(),
            format!(
                "artifact format version {old} is older than this runtime supports (oldest: version 3); \
                 recompile the policy"
            )
        );
    }
    // The version is checked before the rest of the header: a newer
    // artifact with a different header layout still gets this message.
    let mut short = bytes[..12].to_vec();
    short[8..12].copy_from_slice(&newer.to_le_bytes());
    assert!(matches!(
        Policy::from_bytes(&short),
        Err(LoadError::UnsupportedVersion { found, .. }) if found == newer
    ));
}

#[test]
fn flags_trailing_data_and_size_are_checked() {
    let mut bytes = rich().to_bytes();
    bytes[12] = 1;
    assert_eq!(
        Policy::from_bytes(&bytes).err(),
        Some(LoadError::UnsupportedFlags(1))
    );
    let mut bytes = rich().to_bytes();
    bytes.push(0);
    assert!(matches!(
        Policy::from_bytes(&bytes),
        Err(LoadError::TrailingData { .. })
    ));
    let mut bytes = rich().to_bytes();
    bytes[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        Policy::from_bytes(&bytes),
        Err(LoadError::TooLarge { .. })
    ));
}

#[test]
fn a_valid_frame_with_an_invalid_table_names_the_table() {
    let mut a = rich();
    a.candidates[0] = vec![0];
    assert!(matches!(
        Policy::from_bytes(&a.to_bytes()),
        Err(LoadError::InvalidTable {
            table: "candidates",
            ..
        })
    ));
}

/// Rewrites the header so the CRC and length match a modified payload.
fn reframe(bytes: &mut [u8]) {
    if bytes.len() < HEADER_LEN {
        return;
    }
    let len = (bytes.len() - HEADER_LEN) as u64;
    bytes[16..24].copy_from_slice(&len.to_le_bytes());
    let crc = crc32(&bytes[HEADER_LEN..]);
    bytes[24..28].copy_from_slice(&crc.to_le_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Policy::from_bytes(&bytes);
        let mut framed = rich().to_bytes()[..HEADER_LEN].to_vec();
        framed.extend_from_slice(&bytes);
        reframe(&mut framed);
        let _ = Policy::from_bytes(&framed);
    }

    #[test]
    fn mutated_artifacts_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        fix_crc in any::<bool>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = rich().to_bytes();
        for (i, v) in edits {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        if truncate {
            let n = cut.index(bytes.len());
            bytes.truncate(n);
        }
        if fix_crc && bytes.len() >= HEADER_LEN {
            // Keep magic and version so the payload decoder is exercised.
            bytes[..12].copy_from_slice(&rich().to_bytes()[..12]);
            reframe(&mut bytes);
        }
        let _ = Policy::from_bytes(&bytes);
    }
}
