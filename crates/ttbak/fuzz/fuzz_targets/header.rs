//! The clear-header parser on arbitrary bytes: it must never panic, never ask for more than the
//! largest header, and agree with itself on every prefix of a header it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match ttbak::parse_header(data) {
        Ok(Some(parsed)) => {
            let total = parsed.header_len_total;
            assert!(total <= data.len() && total <= ttbak::MAX_HEADER_LEN as usize + 76);
            // Bounds are checked before any key derivation: whatever it accepted is within them.
            let kdf = parsed.header.kdf_params();
            assert!(kdf.memory_kib <= ttbak::MAX_MEMORY_KIB && kdf.iterations <= ttbak::MAX_ITERATIONS);
            assert!((ttbak::MIN_CHUNK_SIZE..=ttbak::MAX_CHUNK_SIZE).contains(&parsed.header.chunk_size()));
            // The header alone parses the same; any shorter prefix asks for more bytes.
            let again = ttbak::parse_header(&data[..total]).expect("same bytes").expect("whole header");
            assert_eq!(again.header, parsed.header);
            assert!(matches!(ttbak::parse_header(&data[..total - 1]), Ok(None)));
        }
        Ok(None) => assert!(data.len() < ttbak::MAX_HEADER_LEN as usize + 76),
        Err(_) => {}
    }
});
