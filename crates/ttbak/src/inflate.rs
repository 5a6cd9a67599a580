//! Raw DEFLATE (RFC 1951, no zlib or gzip wrapper) for the decoders (spec: docs/backup-format.md
//! 2.6, 2.8): the stream must end exactly at the end of the payload.

use std::io::Write;

use crate::error::TtbakError;

/// Raw DEFLATE decompression that knows where the stream ends, so data after the end and a stream
/// cut short are both refused (flate2's Read/Write adapters stop silently at the end).
pub(crate) struct Inflater {
    z: flate2::Decompress,
    ended: bool,
}

impl Inflater {
    pub(crate) fn new() -> Inflater {
        Inflater { z: flate2::Decompress::new(false), ended: false }
    }

    /// Returns (bytes consumed, bytes produced).
    pub(crate) fn run(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize), TtbakError> {
        if self.ended {
            return if input.is_empty() { Ok((0, 0)) } else { Err(data_after_end()) };
        }
        let (in0, out0) = (self.z.total_in(), self.z.total_out());
        let status = self.z.decompress(input, output, flate2::FlushDecompress::None).map_err(|e| TtbakError::Deflate(e.to_string()))?;
        // Both deltas are bounded by the slice lengths.
        let consumed = (self.z.total_in() - in0) as usize;
        let produced = (self.z.total_out() - out0) as usize;
        if status == flate2::Status::StreamEnd {
            self.ended = true;
            if consumed < input.len() {
                return Err(data_after_end());
            }
        }
        Ok((consumed, produced))
    }

    /// After the final chunk: the deflate stream must have ended too.
    pub(crate) fn check_ended(&self) -> Result<(), TtbakError> {
        if self.ended {
            Ok(())
        } else {
            Err(TtbakError::Deflate("the compressed data stops before its end".into()))
        }
    }

    /// Inflates all of `input` into `out`, `scratch.len()` bytes at a time.
    pub(crate) fn run_into<W: Write>(&mut self, input: &[u8], out: &mut W, scratch: &mut [u8]) -> Result<(), TtbakError> {
        let mut pos = 0;
        loop {
            let (consumed, produced) = self.run(&input[pos..], scratch)?;
            pos += consumed;
            out.write_all(&scratch[..produced]).map_err(|e| TtbakError::io(&e))?;
            // Output space left over means nothing is pending inside the inflater.
            if pos == input.len() && produced < scratch.len() {
                return Ok(());
            }
            if consumed == 0 && produced == 0 {
                return Err(TtbakError::Deflate("the decompressor made no progress".into()));
            }
        }
    }
}

fn data_after_end() -> TtbakError {
    TtbakError::Deflate("the compressed data continues after its end".into())
}
