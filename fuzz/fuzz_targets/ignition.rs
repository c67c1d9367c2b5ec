//! Raw Ignition input: parsing never panics, and whatever parses serializes
//! to JSON that parses again to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = ignition::parse_compatible_v3_4(data) {
        let out = ignition::to_go_json(&parsed.config);
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
    }
    let _ = ignition::parse_native(data);
});
