//! Butane input: translation never panics, and whatever translates is
//! Ignition that parses again at the announced spec.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(t) = butane::translate(text) {
        let back = ignition::parse_native(&t.json).expect("butane output parses");
        assert_eq!(back.config.spec(), t.spec);
    }
});
