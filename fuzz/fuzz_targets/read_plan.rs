//! Fuzzes the plan loader (parse, format version, checksum): no input may
//! make it panic. CI runs it briefly (.ci/run).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = ctmigrate::plan::file::from_text(std::path::Path::new("fuzz.plan.json"), text);
});
