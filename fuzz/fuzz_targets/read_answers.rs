//! Fuzzes the answers loader (`--answers FILE`) and the value checks after
//! it: no input may make it panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((inputs, _)) = ctmigrate::plan::inputs::read_answers(text) {
        let _ = inputs.validate_values();
    }
});
