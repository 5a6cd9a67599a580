//! PLACEHOLDER until the .ttbak module lands (being written separately).

pub const MAGIC: [u8; 8] = *b"\x89TTBAK\r\n";

pub fn looks_encrypted(prefix: &[u8]) -> bool {
    prefix.starts_with(&MAGIC)
}

#[derive(Debug, thiserror::Error)]
pub enum TtbakError {
    #[error("placeholder")]
    Placeholder,
}

impl TtbakError {
    pub fn from_io(_e: &std::io::Error) -> Option<TtbakError> {
        None
    }
}

#[derive(Debug, Clone, Copy)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}
impl Default for KdfParams {
    fn default() -> Self {
        KdfParams { memory_kib: 65536, iterations: 3, parallelism: 1 }
    }
}
pub struct TtbakWriter<W: std::io::Write>(W);
impl<W: std::io::Write> TtbakWriter<W> {
    pub fn new(_inner: W, _password: &[u8], _kdf: KdfParams) -> Result<Self, TtbakError> {
        todo!()
    }
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.0
    }
    pub fn finish(self) -> Result<W, TtbakError> {
        todo!()
    }
}
impl<W: std::io::Write> std::io::Write for TtbakWriter<W> {
    fn write(&mut self, _b: &[u8]) -> std::io::Result<usize> {
        todo!()
    }
    fn flush(&mut self) -> std::io::Result<()> {
        todo!()
    }
}
pub struct TtbakReader<R: std::io::Read>(R);
impl<R: std::io::Read> TtbakReader<R> {
    pub fn new(_inner: R, _password: &[u8]) -> Result<Self, TtbakError> {
        todo!()
    }
}
impl<R: std::io::Read> std::io::Read for TtbakReader<R> {
    fn read(&mut self, _b: &mut [u8]) -> std::io::Result<usize> {
        todo!()
    }
}
impl TtbakError {
    pub fn is_wrong_password(&self) -> bool {
        false
    }
}
pub struct ParsedHeader {
    pub header_len_total: usize,
}
pub fn parse_header(_prefix: &[u8]) -> Result<Option<ParsedHeader>, TtbakError> {
    todo!()
}
pub struct Opener;
impl Opener {
    pub fn new(_p: &ParsedHeader, _pw: &[u8]) -> Result<Opener, TtbakError> {
        todo!()
    }
}
pub struct PushDecoder<W>(W);
impl<W: std::io::Write> PushDecoder<W> {
    pub fn new(_o: Opener, out: W) -> Self {
        PushDecoder(out)
    }
    pub fn push(&mut self, _c: &[u8]) -> Result<(), TtbakError> {
        todo!()
    }
    pub fn finish(self) -> Result<W, TtbakError> {
        todo!()
    }
    pub fn chunks_verified(&self) -> u64 {
        0
    }
}
