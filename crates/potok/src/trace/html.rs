//! The timeline page: `page.html` with the trace's JSON inline.

/// The page's template; `/*POTOK_TRACE_JSON*/null` is replaced by the trace.
const TEMPLATE: &str = include_str!("page.html");

/// The page for a trace's JSON. Every `<` in the data is written `\u003c`, so nothing in a
/// name can close the script element.
pub(crate) fn page(json: &str) -> String {
    let data = json.replace('<', "\\u003c");
    TEMPLATE.replacen("/*POTOK_TRACE_JSON*/null", &data, 1)
}
