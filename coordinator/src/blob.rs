//! Content-addressed blobs: every job input and output is stored under the
//! SHA-256 of its bytes, so a hash names exactly one content.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Blob storage failures.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The name is not a lowercase hex SHA-256.
    #[error("blob name {0:?} is not a 64-character lowercase hex SHA-256")]
    BadName(String),
    /// No blob with this hash exists.
    #[error("blob {0} not found")]
    NotFound(String),
    /// The stored bytes no longer hash to their name.
    #[error("blob {0} is corrupt on disk: its content hashes to {1}")]
    Corrupt(String, String),
    /// Filesystem failure.
    #[error("blob store I/O on {path}: {source}")]
    Io {
        /// File or folder involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
}

/// The hex SHA-256 of `bytes`: a blob's name.
pub fn blob_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks that `name` looks like a blob hash (so it is safe as a file name).
pub fn check_name(name: &str) -> Result<(), BlobError> {
    if name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(BlobError::BadName(name.chars().take(80).collect()))
    }
}

/// Where blobs live.
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` and returns their hash; storing the same bytes twice is a no-op.
    fn put(&self, bytes: &[u8]) -> Result<String, BlobError>;
    /// Returns the bytes named `hash`, checked against the hash.
    fn get(&self, hash: &str) -> Result<Vec<u8>, BlobError>;
}

/// Blobs as files under one folder, `<root>/<first two hex digits>/<hash>`.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Opens (creating if needed) a blob folder.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|source| BlobError::Io {
            path: root.clone(),
            source,
        })?;
        Ok(Self { root })
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.root.join(&hash[..2]).join(hash)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BlobError + '_ {
    move |source| BlobError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl BlobStore for FsBlobStore {
    fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let hash = blob_hash(bytes);
        let path = self.path(&hash);
        if path.exists() {
            return Ok(hash);
        }
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        // Write to a unique temporary name, then rename: readers never see a partial blob.
        let tmp = dir.join(format!(".{hash}.{}.{}", std::process::id(), rand::random::<u64>()));
        let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(hash)
    }

    fn get(&self, hash: &str) -> Result<Vec<u8>, BlobError> {
        check_name(hash)?;
        let path = self.path(hash);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BlobError::NotFound(hash.into())),
            Err(source) => return Err(BlobError::Io { path, source }),
        };
        let actual = blob_hash(&bytes);
        if actual != hash {
            return Err(BlobError::Corrupt(hash.into(), actual));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_dedup_and_corruption_detection() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsBlobStore::open(dir.path()).expect("open");
        let h = store.put(b"hello").expect("put");
        assert_eq!(h, blob_hash(b"hello"));
        assert_eq!(store.put(b"hello").expect("put again"), h);
        assert_eq!(store.get(&h).expect("get"), b"hello");
        assert!(matches!(store.get(&blob_hash(b"other")), Err(BlobError::NotFound(_))));
        assert!(matches!(store.get("../etc/passwd"), Err(BlobError::BadName(_))));
        std::fs::write(dir.path().join(&h[..2]).join(&h), b"tampered").expect("tamper");
        assert!(matches!(store.get(&h), Err(BlobError::Corrupt(..))));
    }
}
