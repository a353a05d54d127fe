//! Fuzzes the `explain` parser (CLI, SDK and console texts) and the offline
//! explanation of whatever it reads: no text may make it panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(denial) = ctmigrate::explain::parse(&text) {
        let _ = ctmigrate::explain::offline(denial);
    }
});
