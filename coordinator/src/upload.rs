//! Reading upload bodies (batch inputs, job results) under a size limit.
//!
//! A body over the limit is answered with 413, but only after the coordinator
//! has read (and dropped) what the client sends, up to [`DRAIN_ALLOWANCE`]
//! bytes past the limit. Rejecting on the `Content-Length` header alone makes
//! the server close a connection the client is still writing to, and the
//! client then sees a reset connection instead of the 413 and its message.
//! Bodies larger still are cut off without draining, so an attacker cannot
//! make the coordinator read without bound.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;

/// Bytes past the limit that are still read and dropped before answering 413.
pub const DRAIN_ALLOWANCE: usize = 16 << 20;

/// Why an upload was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The body is larger than the limit.
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// The body could not be read (the client went away or sent bad framing).
    #[error("reading the upload failed: {0}")]
    Read(String),
}

/// Reads `body` if it holds at most `limit` bytes.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, UploadError> {
    let drain_cap = limit.saturating_add(DRAIN_ALLOWANCE);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > drain_cap) {
        return Err(UploadError::TooLarge { limit });
    }
    let mut body = body;
    let mut kept = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| UploadError::Read(e.to_string()))?;
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len());
        if seen > drain_cap {
            break;
        }
        if seen <= limit {
            kept.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(UploadError::TooLarge { limit });
    }
    Ok(Bytes::from(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(n: usize) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, n.to_string().parse().expect("header value"));
        h
    }

    #[tokio::test]
    async fn bodies_up_to_the_limit_are_kept_and_larger_ones_refused() {
        let ok = read_limited(&length(4), Body::from(vec![7u8; 4]), 4)
            .await
            .expect("at the limit");
        assert_eq!(&ok[..], &[7u8; 4]);
        let err = read_limited(&length(5), Body::from(vec![7u8; 5]), 4).await;
        assert!(matches!(err, Err(UploadError::TooLarge { limit: 4 })), "{err:?}");
        // A lying or missing Content-Length does not let a large body through.
        let err = read_limited(&HeaderMap::new(), Body::from(vec![7u8; 9]), 4).await;
        assert!(matches!(err, Err(UploadError::TooLarge { .. })), "{err:?}");
        let err = read_limited(&length(1), Body::from(vec![7u8; 9]), 4).await;
        assert!(matches!(err, Err(UploadError::TooLarge { .. })), "{err:?}");
    }

    #[tokio::test]
    async fn a_declared_length_past_the_drain_allowance_is_refused_unread() {
        let huge = 4 + DRAIN_ALLOWANCE + 1;
        let err = read_limited(&length(huge), Body::from(vec![0u8; 1]), 4).await;
        assert!(matches!(err, Err(UploadError::TooLarge { limit: 4 })), "{err:?}");
    }
}
