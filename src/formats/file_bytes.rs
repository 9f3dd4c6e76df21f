//! A file's bytes held in a float32-aligned buffer. A little-endian float32 `.npy` in C order (the
//! common case, and the large one) then becomes its tensor in place: its data is moved to the front
//! of the same allocation, so opening it needs the file's size in memory once, not twice.

/// The bytes of a file, stored in `f32` words (the last one zero-padded).
#[derive(Debug, Default, Clone)]
pub struct FileBytes {
    words: Vec<f32>,
    len: usize,
}

impl FileBytes {
    /// An empty buffer able to take `len` bytes without growing, or `None` when that memory cannot
    /// be had.
    pub fn with_capacity(len: usize) -> Option<FileBytes> {
        let mut words = Vec::new();
        words.try_reserve_exact(len.div_ceil(4)).ok()?;
        Some(FileBytes { words, len: 0 })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `words` holds at least `len` bytes (`len <= 4 * words.len()`), and u8 has no
        // alignment or validity requirement.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len) }
    }

    fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_bytes`; every bit pattern written is a valid f32.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<u8>(), self.len) }
    }

    /// Appends `n` zero bytes and returns them to be filled.
    pub fn grow(&mut self, n: usize) -> &mut [u8] {
        let start = self.len;
        self.len += n;
        self.words.resize(self.len.div_ceil(4), 0.0);
        &mut self.as_bytes_mut()[start..]
    }

    /// The `count` little-endian float32 values that start at byte `start`, moved to the front of
    /// this buffer, which becomes them (no second allocation). Native byte order is little-endian
    /// on every target quantlens builds for (wasm32, x86_64, aarch64); a big-endian one decodes.
    pub fn into_f32_le(mut self, start: usize, count: usize) -> Vec<f32> {
        let end = start + 4 * count;
        assert!(end <= self.len, "float data past the end of the file");
        if cfg!(target_endian = "little") {
            self.as_bytes_mut().copy_within(start..end, 0);
            // Capacity is kept: shrinking would copy the whole tensor to save a header's bytes.
            self.words.truncate(count);
            self.words
        } else {
            self.as_bytes()[start..end]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }
    }
}

impl From<&[u8]> for FileBytes {
    fn from(b: &[u8]) -> FileBytes {
        let mut f = FileBytes::default();
        f.grow(b.len()).copy_from_slice(b);
        f
    }
}

impl From<Vec<u8>> for FileBytes {
    fn from(b: Vec<u8>) -> FileBytes {
        FileBytes::from(b.as_slice())
    }
}
