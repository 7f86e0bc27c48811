//! Fuzzing the emulator over HTTPS (issue 8, acceptance 3): mutated and arbitrary bearer tokens,
//! `x-ms-authorization-auxiliary` headers, paths and bodies. Every refusal is a well-formed JSON error
//! (ARM's `{"error": {"code", "message"}}` or Entra's `{"error", "error_description"}`), nothing answers
//! 5xx, and the server is still up and correct afterwards. Fixed case counts and seed: a bounded CI run.

mod emulator_common;

use emulator_common::Harness;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

const CASES: u32 = 1_000;
const SEED: [u8; 32] = *b"galleryshare-emulator-fuzz-2026!";

fn runner() -> TestRunner {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED))
}

/// A token with a slice replaced (header, claims or signature damaged), or arbitrary text.
fn mutated(valid: String) -> impl Strategy<Value = String> {
    let mutation = (
        any::<prop::sample::Index>(),
        0usize..40,
        "[A-Za-z0-9_.=+/-]{0,12}",
    )
        .prop_map(move |(at, cut, insert)| {
            let i = at.index(valid.len() + 1);
            let j = (i + cut).min(valid.len());
            format!("{}{insert}{}", &valid[..i], &valid[j..])
        });
    prop_oneof![
        4 => mutation,
        1 => "[ -~]{0,80}",
        1 => "eyJ[A-Za-z0-9_-]{0,40}\\.eyJ[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,40}",
    ]
}

/// A refusal must be JSON in ARM's or Entra's error shape.
fn assert_well_formed_error(status: u16, body: &str, what: &str) {
    assert!(
        status < 500,
        "{what}: the emulator answered {status}: {body}"
    );
    if status >= 400 {
        let v: Value = serde_json::from_str(body)
            .unwrap_or_else(|_| panic!("{what}: {status} with a non-JSON body {body:?}"));
        let arm = v.pointer("/error/code").is_some_and(Value::is_string)
            && v.pointer("/error/message").is_some_and(Value::is_string);
        let entra = v.get("error").is_some_and(Value::is_string)
            && v.get("error_description").is_some_and(Value::is_string);
        assert!(
            arm || entra,
            "{what}: {status} with a malformed error {body}"
        );
    }
}

async fn send(
    h: &Harness,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Option<(u16, String)> {
    let mut req = h
        .http
        .request(method, format!("{}{path}", h.emu.endpoint()));
    for (k, v) in headers {
        // Values no HTTP client could send (control characters) are not the server's concern.
        reqwest::header::HeaderValue::from_str(v).ok()?;
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.ok()?;
    let status = resp.status().as_u16();
    Some((status, resp.text().await.unwrap_or_default()))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_tokens_and_aux_headers_get_json_errors_and_the_server_stays_up() {
    let h = Harness::start().await;
    let token = h
        .app_token("contoso-admin", "contoso.onmicrosoft.com")
        .await;
    let sub = h.sub("contoso-prod");
    let path = format!("/subscriptions/{sub}/resourceGroups?api-version=2022-09-01");
    let before = h
        .get(&token, &format!("/subscriptions/{sub}/resourceGroups"))
        .await;
    assert_eq!(before.0, 200);

    // Up to 5 auxiliary tokens (ARM takes at most 3), joined as the CLI (", ") or PowerShell (";") does.
    let aux_list = (
        prop::collection::vec(mutated(token.clone()), 1..6),
        prop::sample::select(vec![", ", ";", ",", " "]),
    );
    let strategy = (mutated(token.clone()), aux_list, any::<bool>());
    runner()
        .run(&strategy, |(bearer, (aux, sep), with_aux)| {
            let auth = format!("Bearer {bearer}");
            let aux = aux
                .iter()
                .map(|t| format!("Bearer {t}"))
                .collect::<Vec<_>>()
                .join(sep);
            let mut headers = vec![("authorization", auth.as_str())];
            if with_aux {
                headers.push(("x-ms-authorization-auxiliary", aux.as_str()));
            }
            if let Some((status, body)) =
                block_on(send(&h, reqwest::Method::GET, &path, &headers, None))
            {
                assert_well_formed_error(status, &body, &format!("token {bearer:?}"));
                if bearer != token {
                    prop_assert!(status >= 400, "a damaged token was accepted: {}", bearer);
                }
            }
            Ok(())
        })
        .unwrap();

    let after = h
        .get(&token, &format!("/subscriptions/{sub}/resourceGroups"))
        .await;
    assert_eq!(after, before, "the server is up and unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_paths_methods_and_bodies_get_json_errors() {
    let h = Harness::start().await;
    let token = h
        .app_token("contoso-admin", "contoso.onmicrosoft.com")
        .await;
    let sub = h.sub("contoso-prod");
    let prefixes = vec![
        format!("/subscriptions/{sub}"),
        format!("/subscriptions/{sub}/resourceGroups/images/providers/Microsoft.Compute/galleries"),
        format!(
            "/subscriptions/{sub}/providers/Microsoft.Compute/locations/eastus/sharedGalleries"
        ),
        "/contoso.onmicrosoft.com/oauth2/v2.0/token".to_string(),
        "/v1.0/users".to_string(),
        "/providers/Microsoft.ResourceGraph/resources".to_string(),
        String::new(),
    ];
    let methods = vec![
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::POST,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ];
    let body = prop_oneof![
        Just(None),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(Some),
        "\\{\"(location|properties|sharingProfile|groups)\": ?(null|1|\"x\"|\\[\\]|\\{\\}|\\{\"permissions\": ?\"[A-Za-z]{0,8}\"\\})\\}"
            .prop_map(|s| Some(s.into_bytes())),
    ];
    let strategy = (
        prop::sample::select(prefixes),
        "(/[A-Za-z0-9._%~!$&'()*+,;=:@-]{0,12}){0,5}",
        "(\\?api-version=(2025-03-03|2022-09-01|x|))?",
        prop::sample::select(methods),
        body,
    );
    runner()
        .run(&strategy, |(prefix, rest, query, method, body)| {
            let path = format!("{prefix}{rest}{query}");
            let auth = format!("Bearer {token}");
            let headers = [("authorization", auth.as_str())];
            if let Some((status, text)) = block_on(send(&h, method.clone(), &path, &headers, body))
            {
                assert_well_formed_error(status, &text, &format!("{method} {path}"));
            }
            Ok(())
        })
        .unwrap();
    let (status, _) = h
        .get(&token, &format!("/subscriptions/{sub}/resourceGroups"))
        .await;
    assert_eq!(status, 200, "the server is still up");
}
