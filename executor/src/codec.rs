//! Reading and writing blocks and traces: JSON (serde) and bincode 2
//! (standard configuration, through serde). Every error names the file, and
//! for JSON the field path and position that failed.

use crate::input::BlockInput;
use crate::trace::BlockTrace;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Why a block or trace file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON does not match the expected structure.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What was wrong, with the field path and line/column.
        message: String,
    },
    /// The bincode bytes do not decode to the expected type.
    #[error("{path}: not a valid bincode {what}: {message}")]
    Bincode {
        /// The file.
        path: PathBuf,
        /// The type expected.
        what: &'static str,
        /// The decoder's message.
        message: String,
    },
}

/// On-disk encoding of a file, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `.json`
    Json,
    /// Anything else (`.bin`, `.bincode`, ...).
    Bincode,
}

impl Encoding {
    /// The encoding a path's extension names.
    pub fn of(path: &Path) -> Self {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            Self::Json
        } else {
            Self::Bincode
        }
    }
}

/// Parses JSON text into `T`; the error names `path` and the failing field.
pub fn from_json_str<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, CodecError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| CodecError::Json {
        path: path.to_path_buf(),
        message: format!("field `{}`: {}", e.path(), e.inner()),
    })
}

/// Reads a whole file.
pub fn read_file(path: &Path) -> Result<Vec<u8>, CodecError> {
    std::fs::read(path).map_err(|source| CodecError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read_text(path: &Path) -> Result<String, CodecError> {
    std::fs::read_to_string(path).map_err(|source| CodecError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CodecError> {
    std::fs::write(path, bytes).map_err(|source| CodecError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Encodes a value with bincode 2's standard configuration.
pub fn to_bincode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("serde types always encode")
}

/// Decodes a bincode value; the error names `path` and the expected type.
pub fn from_bincode<T: DeserializeOwned>(bytes: &[u8], path: &Path, what: &'static str) -> Result<T, CodecError> {
    let (value, used) =
        bincode::serde::decode_from_slice(bytes, bincode::config::standard()).map_err(|e| CodecError::Bincode {
            path: path.to_path_buf(),
            what,
            message: e.to_string(),
        })?;
    if used != bytes.len() {
        return Err(CodecError::Bincode {
            path: path.to_path_buf(),
            what,
            message: format!("{} trailing bytes after the value", bytes.len() - used),
        });
    }
    Ok(value)
}

fn load<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, CodecError> {
    match Encoding::of(path) {
        Encoding::Json => from_json_str(&read_text(path)?, path),
        Encoding::Bincode => from_bincode(&read_file(path)?, path, what),
    }
}

fn save<T: Serialize>(value: &T, path: &Path) -> Result<(), CodecError> {
    let bytes = match Encoding::of(path) {
        Encoding::Json => serde_json::to_vec_pretty(value).expect("serde types always encode"),
        Encoding::Bincode => to_bincode(value),
    };
    write_file(path, &bytes)
}

/// Loads a block in zkr's format (JSON for `.json`, bincode otherwise).
pub fn load_block(path: &Path) -> Result<BlockInput, CodecError> {
    load(path, "block")
}

/// Saves a block in zkr's format (JSON for `.json`, bincode otherwise).
pub fn save_block(block: &BlockInput, path: &Path) -> Result<(), CodecError> {
    save(block, path)
}

/// Encodes traces with bincode.
pub fn encode_traces(traces: &BlockTrace) -> Vec<u8> {
    to_bincode(traces)
}

/// Decodes bincode traces; `path` names the source in errors.
pub fn decode_traces(bytes: &[u8], path: &Path) -> Result<BlockTrace, CodecError> {
    from_bincode(bytes, path, "block trace")
}

/// Saves traces (JSON for `.json`, bincode otherwise).
pub fn save_traces(traces: &BlockTrace, path: &Path) -> Result<(), CodecError> {
    save(traces, path)
}

/// Loads traces (JSON for `.json`, bincode otherwise).
pub fn load_traces(path: &Path) -> Result<BlockTrace, CodecError> {
    load(path, "block trace")
}
