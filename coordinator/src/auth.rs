//! Worker and operator authentication.
//!
//! Workers hold a per-worker ed25519 key; the coordinator knows the public half.
//! To open a session a worker asks for a one-time nonce, signs
//! `zkr-worker-auth-v1 | worker id | nonce` and gets back a random bearer
//! token. Unknown, revoked or wrongly signed workers get the same refusal.
//! Revoking a worker ends its sessions at once. Operators use a separate
//! bearer token.

use crate::job::Capabilities;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a challenge nonce stays valid.
const CHALLENGE_TTL: Duration = Duration::from_secs(60);
/// Most outstanding challenges kept (oldest are dropped beyond this).
const MAX_CHALLENGES: usize = 10_000;

/// Key file failures.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The key file does not parse.
    #[error("key file {path}: {detail}")]
    Format {
        /// The file.
        path: String,
        /// What was wrong.
        detail: String,
    },
}

/// A worker's secret key file (JSON): its id and hex ed25519 secret key.
#[derive(Serialize, Deserialize)]
pub struct WorkerKeyFile {
    /// The worker id the coordinator knows it by.
    pub worker_id: String,
    /// Hex-encoded 32-byte ed25519 secret key.
    pub secret_key: String,
}

/// A worker's identity: id and signing key.
pub struct WorkerIdentity {
    /// Worker id.
    pub worker_id: String,
    /// Its ed25519 signing key.
    pub key: SigningKey,
}

impl WorkerIdentity {
    /// A fresh random identity.
    pub fn generate(worker_id: &str) -> Self {
        Self {
            worker_id: worker_id.into(),
            key: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// Hex of the public key, as registered with the coordinator.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// Signs an authentication challenge.
    pub fn sign_challenge(&self, nonce: &str) -> String {
        hex::encode(self.key.sign(&challenge_message(&self.worker_id, nonce)).to_bytes())
    }

    /// Writes the secret key file (mode 0600 on Unix).
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let file = WorkerKeyFile {
            worker_id: self.worker_id.clone(),
            secret_key: hex::encode(self.key.to_bytes()),
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| KeyError::Format {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(path).map_err(io)?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io)
    }

    /// Reads a secret key file written by [`WorkerIdentity::save`].
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: shown.clone(),
            source,
        })?;
        let format = |detail: String| KeyError::Format {
            path: shown.clone(),
            detail,
        };
        let file: WorkerKeyFile = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        let bytes: [u8; 32] = hex::decode(&file.secret_key)
            .map_err(|e| format(format!("field secret_key: {e}")))?
            .try_into()
            .map_err(|_| format("field secret_key: expected 32 bytes of hex".into()))?;
        check_worker_id(&file.worker_id).map_err(|e| format(format!("field worker_id: {e}")))?;
        Ok(Self {
            worker_id: file.worker_id,
            key: SigningKey::from_bytes(&bytes),
        })
    }
}

/// Worker ids are 1-64 characters of `[A-Za-z0-9_.-]`.
pub fn check_worker_id(id: &str) -> Result<(), String> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
        Ok(())
    } else {
        Err(format!(
            "worker id {:?} must be 1-64 characters of A-Z a-z 0-9 _ . -",
            id.chars().take(70).collect::<String>()
        ))
    }
}

/// Parses a hex ed25519 public key.
pub fn parse_public_key(hex_key: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = hex::decode(hex_key)
        .map_err(|e| format!("public key is not hex: {e}"))?
        .try_into()
        .map_err(|_| "public key must be 32 bytes".to_string())?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| format!("not an ed25519 public key: {e}"))
}

/// The bytes a worker signs to answer `nonce`.
pub fn challenge_message(worker_id: &str, nonce: &str) -> Vec<u8> {
    [
        b"zkr-worker-auth-v1|".as_slice(),
        worker_id.as_bytes(),
        b"|",
        nonce.as_bytes(),
    ]
    .concat()
}

/// Checks a challenge signature.
pub fn verify_challenge(public_key_hex: &str, worker_id: &str, nonce: &str, signature_hex: &str) -> bool {
    let Ok(key) = parse_public_key(public_key_hex) else {
        return false;
    };
    let Ok(sig) = hex::decode(signature_hex)
        .map_err(|_| ())
        .and_then(|b| Signature::from_slice(&b).map_err(|_| ()))
    else {
        return false;
    };
    key.verify(&challenge_message(worker_id, nonce), &sig).is_ok()
}

/// A random 32-byte hex token.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Compares secrets without an early exit.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An authenticated worker session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The worker.
    pub worker_id: String,
    /// What it said it offers.
    pub capabilities: Capabilities,
    /// Last request seen.
    pub last_seen: Instant,
}

/// Outstanding challenges and open sessions (in memory: a restarted
/// coordinator makes workers authenticate again).
#[derive(Default)]
pub struct SessionTable {
    challenges: HashMap<String, (String, Instant)>,
    sessions: HashMap<String, Session>,
}

impl SessionTable {
    /// Issues a one-time nonce for `worker_id`.
    pub fn challenge(&mut self, worker_id: &str) -> String {
        let now = Instant::now();
        self.challenges
            .retain(|_, (_, at)| now.duration_since(*at) < CHALLENGE_TTL);
        if self.challenges.len() >= MAX_CHALLENGES {
            if let Some(oldest) = self
                .challenges
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
            {
                self.challenges.remove(&oldest);
            }
        }
        let nonce = random_token();
        self.challenges.insert(nonce.clone(), (worker_id.into(), now));
        nonce
    }

    /// Consumes a nonce; true when it was issued to `worker_id` and is fresh.
    pub fn take_challenge(&mut self, worker_id: &str, nonce: &str) -> bool {
        match self.challenges.remove(nonce) {
            Some((id, at)) => id == worker_id && at.elapsed() < CHALLENGE_TTL,
            None => false,
        }
    }

    /// Opens a session and returns its token.
    pub fn open(&mut self, worker_id: &str, capabilities: Capabilities) -> String {
        let token = random_token();
        self.sessions.insert(
            token.clone(),
            Session {
                worker_id: worker_id.into(),
                capabilities,
                last_seen: Instant::now(),
            },
        );
        token
    }

    /// The session for `token`, marking it seen.
    pub fn touch(&mut self, token: &str) -> Option<Session> {
        let s = self.sessions.get_mut(token)?;
        s.last_seen = Instant::now();
        Some(s.clone())
    }

    /// Ends every session of `worker_id`.
    pub fn revoke(&mut self, worker_id: &str) {
        self.sessions.retain(|_, s| s.worker_id != worker_id);
    }

    /// Sessions seen within `window`, and drops those idle far longer.
    pub fn active(&mut self, window: Duration) -> Vec<Session> {
        self.sessions.retain(|_, s| s.last_seen.elapsed() < window * 20);
        self.sessions
            .values()
            .filter(|s| s.last_seen.elapsed() < window)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_signatures_bind_worker_and_nonce() {
        let id = WorkerIdentity::generate("w1");
        let sig = id.sign_challenge("n1");
        assert!(verify_challenge(&id.public_key_hex(), "w1", "n1", &sig));
        assert!(!verify_challenge(&id.public_key_hex(), "w1", "n2", &sig));
        assert!(!verify_challenge(&id.public_key_hex(), "w2", "n1", &sig));
        let other = WorkerIdentity::generate("w1");
        assert!(!verify_challenge(&other.public_key_hex(), "w1", "n1", &sig));
        assert!(!verify_challenge(&id.public_key_hex(), "w1", "n1", "zz"));
    }

    #[test]
    fn nonces_are_single_use_and_sessions_end_on_revocation() {
        let mut t = SessionTable::default();
        let n = t.challenge("w1");
        assert!(!t.take_challenge("w2", &n));
        let n = t.challenge("w1");
        assert!(t.take_challenge("w1", &n));
        assert!(!t.take_challenge("w1", &n));
        let caps = Capabilities {
            backend: "cpu".into(),
            gpu: false,
            memory_mb: 1,
            srs: None,
            kinds: crate::job::every_kind(),
        };
        let tok = t.open("w1", caps);
        assert!(t.touch(&tok).is_some());
        t.revoke("w1");
        assert!(t.touch(&tok).is_none());
    }

    #[test]
    fn key_files_round_trip_and_bad_files_name_the_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.key");
        let id = WorkerIdentity::generate("w-1");
        id.save(&path).expect("save");
        let back = WorkerIdentity::load(&path).expect("load");
        assert_eq!(back.public_key_hex(), id.public_key_hex());
        std::fs::write(dir.path().join("bad.key"), r#"{"worker_id":"w","secret_key":"abcd"}"#).expect("write");
        let err = WorkerIdentity::load(&dir.path().join("bad.key"))
            .err()
            .expect("must fail")
            .to_string();
        assert!(err.contains("secret_key") && err.contains("bad.key"), "{err}");
    }
}
