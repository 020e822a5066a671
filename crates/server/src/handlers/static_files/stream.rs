//! Streaming a file (or a byte range of it) that is too large to keep in memory.
//!
//! `tokio::fs` makes a round trip to the blocking pool for every small read; here one
//! blocking task reads large chunks with `std::fs` and hands them over a short channel, which
//! also gives backpressure: a slow client stops the reading.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use tokio::sync::mpsc;

use crate::body::{Body, BoxError};

const CHUNK: u64 = 256 * 1024;

/// A body that reads `range` of the file at `path`.
pub fn file_body(path: PathBuf, range: Range<u64>) -> Body {
    let len = range.end - range.start;
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
    tokio::task::spawn_blocking(move || {
        let result = (|| -> std::io::Result<()> {
            let mut file = std::fs::File::open(&path)?;
            file.seek(SeekFrom::Start(range.start))?;
            let mut remaining = len;
            while remaining > 0 {
                let n = remaining.min(CHUNK) as usize;
                let mut buf = BytesMut::zeroed(n);
                file.read_exact(&mut buf)?;
                remaining -= n as u64;
                if tx.blocking_send(Ok(buf.freeze())).is_err() {
                    // The client went away.
                    return Ok(());
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    Body::stream(FileStream { rx, remaining: len })
}

struct FileStream {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    remaining: u64,
}

impl http_body::Body for FileStream {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(data))) => {
                self.remaining = self.remaining.saturating_sub(data.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(Some(Err("the file ended early".into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn streams_a_range() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let data: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let body = file_body(p.clone(), 100..550_000);
        assert_eq!(body.exact_len(), Some(549_900));
        let got = body.collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], &data[100..550_000]);
        // A file shorter than announced ends in an error, never a silent truncation.
        let short = file_body(p, 0..700_000).collect().await;
        assert!(short.is_err());
    }
}
