//! Draws a Chrome trace JSON file (potok's, or one of the same shape written elsewhere) as the
//! timeline page.
//!
//! ```sh
//! cargo run -p potok --example trace_html -- trace.json timeline.html
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        eprintln!("usage: trace_html TRACE.json PAGE.html");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&input).unwrap_or_else(|e| {
        eprintln!("trace_html: cannot read {input}: {e}");
        std::process::exit(1);
    });
    let trace = potok::trace::Trace::from_json(&text).unwrap_or_else(|e| {
        eprintln!("trace_html: {input}: {e}");
        std::process::exit(1);
    });
    if let Err(e) = trace.write_html(&output) {
        eprintln!("trace_html: cannot write {output}: {e}");
        std::process::exit(1);
    }
}
