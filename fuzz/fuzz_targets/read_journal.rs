//! Fuzzes the journal reader, and folds whatever it reads, so that no
//! bytes on disk can make `status`, `resume` or `rollback` panic.
#![no_main]

use ctmigrate::apply::journal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.journal.jsonl");
    if let Ok((records, _)) = journal::parse(path, data) {
        let _ = journal::fold(&records);
    }
});
