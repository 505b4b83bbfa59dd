#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    msapp_merge_fuzz::harness::textconv(data);
});
