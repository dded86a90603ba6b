//! Gzip and brotli at the best levels, as the widget bundle is precompressed for the server
//! (`cargo xtask build`), and the sizes that gives (`cargo xtask size`, and the widget bench
//! measuring what a browser downloaded).

use flate2::{Compression, write::GzEncoder};
use std::io::Write;

const BROTLI_QUALITY: u32 = 11;
const BROTLI_WINDOW_BITS: u32 = 22;
const BROTLI_BUFFER: usize = 4096;

/// Sizes of one file, or of several added up, in bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl std::ops::AddAssign for Sizes {
    fn add_assign(&mut self, other: Self) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

impl std::iter::Sum for Sizes {
    fn sum<I: Iterator<Item = Self>>(sizes: I) -> Self {
        let mut total = Self::default();
        for size in sizes {
            total += size;
        }
        total
    }
}

/// The sizes of `bytes` raw, gzipped and brotli-compressed.
pub fn measure(bytes: &[u8]) -> std::io::Result<Sizes> {
    Ok(Sizes {
        raw: bytes.len(),
        gzip: gzip(bytes)?.len(),
        brotli: brotli(bytes)?.len(),
    })
}

/// `bytes` gzipped at the best level.
pub fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
    gzip.write_all(bytes)?;
    gzip.finish()
}

/// `bytes` brotli-compressed at the best quality.
pub fn brotli(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut brotli = brotli::CompressorWriter::new(
        Vec::new(),
        BROTLI_BUFFER,
        BROTLI_QUALITY,
        BROTLI_WINDOW_BITS,
    );
    brotli.write_all(bytes)?;
    Ok(brotli.into_inner())
}

/// `bytes` in KiB with one decimal.
pub fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compresses_repetitive_bytes() {
        let sizes = measure(&[b'a'; 10_000]).expect("in memory");
        assert_eq!(sizes.raw, 10_000);
        assert!(sizes.gzip < 100 && sizes.brotli < 100, "{sizes:?}");
    }
}
