//! Developer tool: unpack + pack an app without the round-trip guard, writing the repacked
//! app, so differences can be inspected (`cargo run --example roundtrip_debug APP OUT`).

use std::path::PathBuf;

use msapp_merge::app;
use msapp_merge::source::unpack::UnpackOptions;

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        eprintln!("usage: roundtrip_debug APP.msapp OUT.msapp [TREE_DIR]");
        std::process::exit(2);
    };
    let result = (|| -> msapp_merge::Result<()> {
        let msapp = app::load_msapp(input)?;
        let (tree, _) = app::unpack_app(&msapp, &input.display().to_string(), &UnpackOptions::default())?;
        if let Some(dir) = args.get(2) {
            msapp_merge::fsio::write_tree(dir, &tree)?;
        }
        let (packed, _) = app::pack_tree(&tree)?;
        msapp_merge::fsio::write_atomic(output, &app::msapp_bytes(&packed)?)
    })();
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
