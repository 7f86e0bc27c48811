//! Property tests of every parser that reads outside input (issue 8, acceptance 3): ids, names, GUIDs,
//! locations, image references, ARM/Entra JSON error bodies, result shaping, nextLink, Retry-After and
//! continuation tokens. Fixed case counts and a fixed seed (proptest's default `XorShift` RNG seeded from
//! the config), so a CI run is bounded and repeatable; none may panic, and valid ids round-trip.

use crate::error::Error;
use crate::ids::{self, ResourceId};
use crate::pipeline::lro::PollState;
use crate::pipeline::pager::next_link;
use crate::shape::{cli, pwsh};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

const CASES: u32 = 2_000;
const SEED: [u8; 32] = *b"galleryshare-fuzz-seed-20261204!";

/// A runner with the fixed budget and seed (PROPTEST_CASES in the environment does not change it).
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

const SUB: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";

/// Valid ids to mutate: the shapes the client builds and reads.
fn valid_ids() -> Vec<String> {
    vec![
        format!("/subscriptions/{SUB}"),
        format!("/subscriptions/{SUB}/resourceGroups/rg"),
        format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g"),
        format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0"),
        format!("/subscriptions/{SUB}/resourceGroups/my.rg_(1)/providers/Microsoft.Network/virtualNetworks/v/subnets/s"),
    ]
}

/// Strings near the interesting ones: a valid id with a slice replaced by arbitrary text.
fn mutated_id() -> impl Strategy<Value = String> {
    (
        prop::sample::select(valid_ids()),
        any::<prop::sample::Index>(),
        0usize..12,
        "[/a-zA-Z0-9.%?#\\\\ \\-_\u{0}-\u{1f}\u{80}-\u{10ffff}]{0,8}",
    )
        .prop_map(|(id, at, cut, insert)| {
            let chars: Vec<char> = id.chars().collect();
            let i = at.index(chars.len() + 1);
            let j = (i + cut).min(chars.len());
            let mut s: String = chars[..i].iter().collect();
            s.push_str(&insert);
            s.extend(&chars[j..]);
            s
        })
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), mutated_id(), "[ -~]{0,40}"]
}

fn check_id_parsers(s: &str) {
    let _ = ids::gallery_name(s);
    let _ = ids::image_definition_name(s);
    let _ = ids::image_version_name(s);
    let _ = ids::resource_group(s);
    let _ = ids::location(s);
    let _ = ids::name("name", s);
    let _ = ids::tenant(s);
    let _ = ids::guid("subscription", "subscription id", s);
    let _ = ids::scope(s);
    let _ = ids::check_path(s);
    let _ = crate::ops::vm::classify(s);
    if let Some(r) = ResourceId::parse(s) {
        // Whatever parses is safe to put in a path, and says what it was parsed from.
        assert!(
            ids::check_path(s).is_ok(),
            "{s:?} parsed but is not a safe path"
        );
        assert!(s.contains(&r.subscription));
    }
    if ids::name("name", s).is_ok() {
        let encoded = ids::seg(s);
        assert!(
            !encoded.contains('/') && ids::check_path(&format!("/x/{encoded}")).is_ok(),
            "{s:?}"
        );
    }
}

#[test]
fn id_and_name_parsers_never_panic() {
    runner(CASES)
        .run(&any_text(), |s| {
            check_id_parsers(&s);
            Ok(())
        })
        .unwrap();
}

#[test]
fn valid_ids_round_trip() {
    for id in valid_ids() {
        let r = ResourceId::parse(&id).expect("valid id parses");
        let mut back = format!("/subscriptions/{}", r.subscription);
        if let Some(rg) = &r.resource_group {
            back.push_str(&format!("/resourceGroups/{rg}"));
        }
        if let Some(p) = &r.provider {
            back.push_str(&format!("/providers/{p}"));
        }
        for (t, n) in &r.types {
            back.push_str(&format!("/{t}/{n}"));
        }
        assert_eq!(back, id);
        assert_eq!(ids::scope(&id).unwrap(), id);
    }
    runner(500)
        .run(
            &("[a-zA-Z0-9]{1,10}", "[a-zA-Z0-9]([a-zA-Z0-9._-]{0,20}[a-zA-Z0-9])?"),
            |(g, i)| {
                let id = format!(
                    "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/{g}/images/{i}"
                );
                let r = ResourceId::parse(&id).unwrap();
                prop_assert_eq!(
                    r.types,
                    vec![("galleries".into(), g.clone()), ("images".into(), i.clone())]
                );
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn gallery_image_references_never_panic() {
    let refs = prop_oneof![
        "/(SharedGalleries|CommunityGalleries|sharedgalleries)/[a-z0-9./%-]{0,12}/Images/[a-z0-9.-]{0,6}/Versions/[a-z0-9.]{0,8}",
        any::<String>(),
    ];
    runner(CASES)
        .run(&refs, |s| {
            let _ = crate::ops::vm::classify(&s);
            Ok(())
        })
        .unwrap();
}

/// Arbitrary JSON, a few levels deep, with ARM-ish keys more likely than chance.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("properties".to_string()),
        Just("id".to_string()),
        Just("error".to_string()),
        Just("value".to_string()),
        Just("nextLink".to_string()),
        Just("code".to_string()),
        Just("message".to_string()),
        Just("details".to_string()),
        Just("sharingProfile".to_string()),
        Just("identifier".to_string()),
        "[a-zA-Z]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::from),
        mutated_id().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn arm_json_shaping_and_error_parsing_never_panic() {
    let kinds = [
        "Resource",
        "ResourceGroup",
        "RoleAssignment",
        "RoleDefinition",
        "GraphObject",
        "Context",
    ];
    runner(CASES)
        .run(&arb_json(), |v| {
            let _ = cli::shape(v.clone());
            for k in kinds {
                let _ = pwsh::shape(pwsh::Kind::parse(k).unwrap(), cli::shape(v.clone()));
            }
            let body = serde_json::to_vec(&v).unwrap();
            for status in [400, 401, 403, 404, 409, 429, 500] {
                let e = Error::from_response(status, &body);
                prop_assert_eq!(e.status, Some(status));
            }
            let _ = next_link(&v);
            let _ = next_link(&json!({ "nextLink": v }));
            let _ = PollState::from_token(&v.to_string());
            Ok(())
        })
        .unwrap();
}

#[test]
fn error_bodies_as_raw_bytes_never_panic() {
    runner(CASES)
        .run(&prop::collection::vec(any::<u8>(), 0..256), |bytes| {
            let e = Error::from_response(502, &bytes);
            prop_assert!(!e.message.is_empty());
            let _ = PollState::from_token(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .unwrap();
}

#[test]
fn next_links_and_retry_after_never_panic() {
    runner(CASES)
        .run(&any_text(), |s| {
            if let Ok(Some(u)) = next_link(&json!({ "nextLink": s })) {
                prop_assert!(u.has_host(), "an accepted nextLink is absolute: {}", s);
            }
            let _ = crate::pipeline::parse_retry_after(&s);
            Ok(())
        })
        .unwrap();
    let retry_values = prop_oneof![
        "[0-9]{0,25}",
        "-?[0-9]{1,5}(\\.[0-9]{0,5})?",
        "(Mon|Tue|Fri), [0-9]{1,2} (Jan|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
    ];
    runner(CASES)
        .run(&retry_values, |s| {
            let _ = crate::pipeline::parse_retry_after(&s);
            Ok(())
        })
        .unwrap();
}
