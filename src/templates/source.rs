//! Reading the text of a template without rendering it: where its Tera tags are, and what it
//! may read.

/// Whether a template may read `page.toc`: a conservative reading of its Tera tags, which finds
/// the name `toc`, the whole context (`__tera_context`), or `page` used other than as
/// `page.name` (passed to a macro or filter, indexed, looped over, set to a variable), through
/// which `toc` could be reached unnamed. Text outside the tags and comments do not count.
pub(super) fn may_show_table_of_contents(template: &str) -> bool {
    let is_name_byte = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let mut code = tera_tags(template).filter(|range| !template[range.clone()].starts_with("{#"));
    code.any(|range| {
        let tag = &template[range];
        let bytes = tag.as_bytes();
        let mut words = memchr::memmem::find_iter(bytes, b"toc")
            .map(|at| (at, 3))
            .chain(memchr::memmem::find_iter(bytes, b"__tera_context").map(|at| (at, 14)));
        let named = words.any(|(at, len)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + len).copied();
            !before.is_some_and(is_name_byte) && !after.is_some_and(is_name_byte)
        });
        named
            || memchr::memmem::find_iter(bytes, b"page").any(|at| {
                let before = at.checked_sub(1).map(|i| bytes[i]);
                let rest = tag[at + 4..].trim_start();
                let whole_word = !before.is_some_and(|b| is_name_byte(b) || b == b'.')
                    && !rest.as_bytes().first().copied().is_some_and(is_name_byte);
                whole_word && !rest.starts_with('.')
            })
    })
}

/// Where the Tera tags of a template are (`{{ }}`, `{% %}`, `{# #}`), delimiters included; one
/// left open runs to the end.
pub fn tera_tags(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut rest = 0;
    std::iter::from_fn(move || {
        let bytes = text.as_bytes();
        let mut at = rest;
        loop {
            let open = at + memchr::memchr(b'{', bytes.get(at..)?)?;
            let close = match bytes.get(open + 1) {
                Some(b'{') => "}}",
                Some(b'%') => "%}",
                Some(b'#') => "#}",
                _ => {
                    at = open + 1;
                    continue;
                }
            };
            let end = text[open + 2..]
                .find(close)
                .map_or(text.len(), |found| open + 2 + found + 2);
            rest = end;
            return Some(open..end);
        }
    })
}
