//! Persistence under `state_dir`: what an emulator needs to come back as the same emulator after a
//! stop, a crash or a SIGKILL.
//!
//! - `identity.json`, written once: the seed, the generated app secrets and user passwords, the token
//!   signing key, the TLS CA and leaf, and the control key — so logins, tokens, trust and the control
//!   plane keep working across a restart.
//! - `world.json`: a full snapshot of the ARM state, written after every request that may have changed
//!   it and before that request is answered (temp file, fsync, atomic rename, fsync of the directory):
//!   a kill at any instant leaves either the previous or the new snapshot, never a torn one.
//!
//! A snapshot per write costs a clone and a serialization of the whole world plus one fsync (about a
//! millisecond for test-sized worlds); an identical snapshot is not rewritten. Both files hold secrets
//! and are created owner-only (0600).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parking_lot::Mutex;
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::directory::Directory;
use super::identity::Signer;
use super::server::Shared;
use super::store::World;
use super::tls::{self, TlsMaterial};
use super::EmulatorError;

const VERSION: u32 = 1;
const IDENTITY: &str = "identity.json";
const WORLD: &str = "world.json";

/// Everything an emulator is built from, fresh or restored.
pub(crate) struct Boot {
    pub directory: Directory,
    pub tls: TlsMaterial,
    pub signer: Signer,
    pub control_key: String,
    pub world: World,
    pub store: Option<Store>,
}

/// A fresh emulator without persistence.
pub(crate) fn ephemeral(seed: &Value) -> Result<Boot, EmulatorError> {
    let directory = Directory::from_seed(seed)?;
    Ok(Boot {
        world: World::seeded(&directory),
        directory,
        tls: tls::generate()?,
        signer: Signer::generate()?,
        control_key: new_control_key(),
        store: None,
    })
}

pub(crate) fn new_control_key() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 48)
}

#[derive(Serialize, Deserialize)]
struct StoredTls {
    ca_pem: String,
    leaf_pem: String,
    leaf_key_pem: String,
}

#[derive(Serialize, Deserialize)]
struct Identity {
    v: u32,
    seed: Value,
    /// App name → secret.
    secrets: BTreeMap<String, String>,
    /// User UPN → password.
    passwords: BTreeMap<String, String>,
    signing_kid: String,
    signing_key_pem: String,
    tls: StoredTls,
    control_key: String,
}

#[derive(Deserialize)]
struct Snapshot {
    v: u32,
    world: World,
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    v: u32,
    world: &'a World,
}

/// Restores the emulator kept in `dir`, or creates one there from `seed` (a restored emulator keeps
/// the seed it was first started with).
pub(crate) fn boot(dir: &Path, seed: &Value) -> Result<Boot, EmulatorError> {
    fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
    let identity_path = dir.join(IDENTITY);
    let (directory, tls, signer, control_key) = if identity_path.exists() {
        restore_identity(&read_json::<Identity>(&identity_path)?)?
    } else {
        create_identity(dir, seed)?
    };
    let world_path = dir.join(WORLD);
    let world = if world_path.exists() {
        let snapshot = read_json::<Snapshot>(&world_path)?;
        if snapshot.v != VERSION {
            return Err(EmulatorError::new(format!(
                "{WORLD} has version {}, expected {VERSION}",
                snapshot.v
            )));
        }
        snapshot.world
    } else {
        World::seeded(&directory)
    };
    let store = Store {
        dir: dir.to_path_buf(),
        last: Mutex::new(None),
    };
    store.save(&world)?;
    Ok(Boot {
        directory,
        tls,
        signer,
        control_key,
        world,
        store: Some(store),
    })
}

type Parts = (Directory, TlsMaterial, Signer, String);

fn create_identity(dir: &Path, seed: &Value) -> Result<Parts, EmulatorError> {
    let directory = Directory::from_seed(seed)?;
    let material = tls::generate()?;
    let key = rcgen::KeyPair::generate()
        .map_err(|e| EmulatorError::new(format!("cannot generate the token signing key: {e}")))?;
    let kid = uuid::Uuid::new_v4().simple().to_string();
    let signer = Signer::from_key(&key, &kid)?;
    let identity = Identity {
        v: VERSION,
        seed: seed.clone(),
        secrets: directory
            .apps
            .iter()
            .map(|a| (a.name.clone(), a.secret.clone()))
            .collect(),
        passwords: directory
            .users
            .iter()
            .map(|u| (u.upn.clone(), u.password.clone()))
            .collect(),
        signing_kid: kid,
        signing_key_pem: key.serialize_pem(),
        tls: StoredTls {
            ca_pem: material.ca_pem.clone(),
            leaf_pem: material.leaf_pem.clone(),
            leaf_key_pem: material.leaf_key_pem.clone(),
        },
        control_key: new_control_key(),
    };
    let bytes = serde_json::to_vec_pretty(&identity).expect("identity serializes");
    write_atomic(&dir.join(IDENTITY), &bytes)?;
    Ok((directory, material, signer, identity.control_key))
}

fn restore_identity(identity: &Identity) -> Result<Parts, EmulatorError> {
    if identity.v != VERSION {
        return Err(EmulatorError::new(format!(
            "{IDENTITY} has version {}, expected {VERSION}",
            identity.v
        )));
    }
    let mut directory = Directory::from_seed(&identity.seed)?;
    for app in &mut directory.apps {
        if let Some(secret) = identity.secrets.get(&app.name) {
            app.secret = secret.clone();
        }
    }
    for user in &mut directory.users {
        if let Some(password) = identity.passwords.get(&user.upn) {
            user.password = password.clone();
        }
    }
    let key = rcgen::KeyPair::from_pem(&identity.signing_key_pem)
        .map_err(|e| EmulatorError::new(format!("{IDENTITY}: bad signing key: {e}")))?;
    let signer = Signer::from_key(&key, &identity.signing_kid)?;
    let material = TlsMaterial {
        ca_pem: identity.tls.ca_pem.clone(),
        leaf_pem: identity.tls.leaf_pem.clone(),
        leaf_key_pem: identity.tls.leaf_key_pem.clone(),
    };
    Ok((directory, material, signer, identity.control_key.clone()))
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> EmulatorError {
    EmulatorError::new(format!("{what} {}: {e}", path.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EmulatorError> {
    let bytes = fs::read(path).map_err(|e| io_error("cannot read", path, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| EmulatorError::new(format!("{} is not a saved state: {e}", path.display())))
}

fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Writes `path` so that a crash leaves either the old or the new content: temp file, fsync,
/// rename over the old file, fsync of the directory (which makes the rename durable).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EmulatorError> {
    let tmp = path.with_extension("json.tmp");
    let mut file = owner_only(OpenOptions::new().write(true).create(true).truncate(true))
        .open(&tmp)
        .map_err(|e| io_error("cannot write", &tmp, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| io_error("cannot write", &tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| io_error("cannot replace", path, e))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("cannot sync", dir, e))?;
    }
    Ok(())
}

/// Where one emulator's world is saved, and the last snapshot written (to skip identical ones).
pub(crate) struct Store {
    dir: PathBuf,
    last: Mutex<Option<Vec<u8>>>,
}

impl Store {
    /// Saves `world` (at boot).
    fn save(&self, world: &World) -> Result<(), EmulatorError> {
        self.write(&mut self.last.lock(), world)
    }

    /// Saves what `world` holds now. `last` is locked before the world is cloned, so concurrent saves
    /// are ordered and a later snapshot is never overwritten by an earlier one.
    pub(crate) fn save_current(&self, world: &Mutex<World>) -> Result<(), EmulatorError> {
        let mut last = self.last.lock();
        let current = world.lock().clone();
        self.write(&mut last, &current)
    }

    fn write(&self, last: &mut Option<Vec<u8>>, world: &World) -> Result<(), EmulatorError> {
        let bytes =
            serde_json::to_vec(&SnapshotRef { v: VERSION, world }).expect("the world serializes");
        if last.as_deref() == Some(bytes.as_slice()) {
            return Ok(());
        }
        write_atomic(&self.dir.join(WORLD), &bytes)?;
        *last = Some(bytes);
        Ok(())
    }
}

/// Requests that may change the world: everything but reads and token requests.
fn may_write(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !path.to_ascii_lowercase().contains("/oauth2/")
}

/// Middleware: saves the world after a request that may have changed it, before it is answered; a
/// failed save answers 500 instead of acknowledging a write that is not durable.
pub(crate) async fn after_write(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let writes = shared.store.is_some() && may_write(request.method(), request.uri().path());
    let response = next.run(request).await;
    if !writes {
        return response;
    }
    match shared.persist_now() {
        Ok(()) => response,
        Err(e) => {
            log::error!("azure emulator: {e}");
            let body = json!({"error": {"code": "InternalServerError", "message": format!("The emulator could not save its state: {e}")}});
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    }
}

/// `Instant`s as signed milliseconds from now (negative: in the past), since an `Instant` means
/// nothing in another process.
pub(crate) mod instant {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::{Duration, Instant};

    pub(crate) fn serialize<S: Serializer>(at: &Instant, s: S) -> Result<S::Ok, S::Error> {
        let now = Instant::now();
        let ms = if *at >= now {
            (*at - now).as_millis() as i64
        } else {
            -((now - *at).as_millis() as i64)
        };
        s.serialize_i64(ms)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Instant, D::Error> {
        let ms = i64::deserialize(d)?;
        let now = Instant::now();
        let offset = Duration::from_millis(ms.unsigned_abs());
        Ok(if ms >= 0 {
            now + offset
        } else {
            now.checked_sub(offset).unwrap_or(now)
        })
    }
}

/// `OffsetDateTime` as Unix nanoseconds.
pub(crate) mod unix_time {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.unix_timestamp_nanos() as i64)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let nanos = i64::deserialize(d)?;
        OffsetDateTime::from_unix_timestamp_nanos(nanos as i128).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::lro::{self, OperationFault};
    use crate::emulator::store::{Provisioning, ResourceGroup};
    use std::time::{Duration, Instant};

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gs-persist-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_world_round_trips_with_its_clocks_as_time_left() {
        let mut world = World::default();
        let mut rg = ResourceGroup::new("RG", "eastus");
        rg.tags = json!({"a": "b"});
        world
            .subscriptions
            .entry("s".into())
            .or_default()
            .resource_groups
            .insert("rg".into(), rg);
        let mut op = lro::begin(
            &mut world,
            "s",
            "eastus",
            "v",
            Duration::from_secs(60),
            None,
        );
        op.fault = Some(OperationFault::Hang);
        world.operations.insert(op.id.clone(), op.clone());
        let pending = Provisioning {
            verb: "Creating",
            done_at: Instant::now() + Duration::from_secs(30),
        };
        let text = serde_json::to_string(&SnapshotRef {
            v: VERSION,
            world: &world,
        })
        .unwrap();
        let back: Snapshot = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back.world.resource_group("s", "RG").unwrap().tags,
            json!({"a": "b"})
        );
        let restored = &back.world.operations[&op.id];
        assert_eq!(restored.fault, Some(OperationFault::Hang));
        assert!(!restored.is_done());
        assert_eq!(restored.start.unix_timestamp(), op.start.unix_timestamp());
        let p: Provisioning =
            serde_json::from_value(serde_json::to_value(&pending).unwrap()).unwrap();
        assert_eq!(p.state(), "Creating");
        let left = p.done_at - Instant::now();
        assert!(left > Duration::from_secs(20) && left <= Duration::from_secs(30));
        let done: Provisioning =
            serde_json::from_value(json!({"verb": "Updating", "done_at": -5000})).unwrap();
        assert_eq!(done.state(), "Succeeded");
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temp_file() {
        let dir = temp_dir();
        let path = dir.join("x.json");
        write_atomic(&path, b"1").unwrap();
        write_atomic(&path, b"2").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"2");
        assert!(!dir.join("x.json.tmp").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn identical_snapshots_are_written_once() {
        let dir = temp_dir();
        let store = Store {
            dir: dir.clone(),
            last: Mutex::new(None),
        };
        let world = Mutex::new(World::default());
        store.save_current(&world).unwrap();
        let first = fs::metadata(dir.join(WORLD)).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        store.save_current(&world).unwrap();
        assert_eq!(
            fs::metadata(dir.join(WORLD)).unwrap().modified().unwrap(),
            first
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
