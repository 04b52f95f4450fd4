//! Server-side syntax highlighting of Rhai for HTML reports, so a report
//! reads correctly with JavaScript off. A small lexer over Rhai's token
//! classes (comments, strings including back-tick templates, characters,
//! numbers, keywords, `#{` map literals, calls) emits `<span class="…">`;
//! every character of the source is HTML-escaped exactly once.

/// Rhai's keywords and reserved words that scripts use.
const KEYWORDS: &[&str] = &[
    "let",
    "const",
    "fn",
    "if",
    "else",
    "switch",
    "do",
    "while",
    "until",
    "loop",
    "for",
    "in",
    "break",
    "continue",
    "return",
    "throw",
    "try",
    "catch",
    "import",
    "export",
    "as",
    "private",
    "global",
    "this",
    "is_shared",
    "true",
    "false",
    "Fn",
    "call",
    "curry",
    "type_of",
    "print",
    "debug",
];

/// HTML-escape `s` for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn span(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    out.push_str(&escape(text));
    out.push_str("</span>");
}

/// Rhai source as HTML with `<span class="kw|str|num|com|fn|op">` tokens.
pub fn highlight(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() * 2);
    let mut i = 0;
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p);
            span(&mut out, "com", &text(i, end));
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut j = i + 2;
            while j < chars.len() && !(chars[j] == '*' && chars.get(j + 1) == Some(&'/')) {
                j += 1;
            }
            let end = (j + 2).min(chars.len());
            span(&mut out, "com", &text(i, end));
            i = end;
        } else if c == '"' || c == '`' || c == '\'' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != c {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = (j + 1).min(chars.len());
            span(&mut out, "str", &text(i, end));
            i = end;
        } else if c.is_ascii_digit() {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric()
                    || chars[j] == '_'
                    || (chars[j] == '.' && chars.get(j + 1).is_some_and(|d| d.is_ascii_digit()))
                    || ((chars[j] == '-' || chars[j] == '+') && matches!(chars[j - 1], 'e' | 'E')))
            {
                j += 1;
            }
            span(&mut out, "num", &text(i, j));
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let word = text(i, j);
            let mut k = j;
            while k < chars.len() && chars[k] == ' ' {
                k += 1;
            }
            if KEYWORDS.contains(&word.as_str()) {
                span(&mut out, "kw", &word);
            } else if chars.get(k) == Some(&'(') {
                span(&mut out, "fn", &word);
            } else {
                out.push_str(&escape(&word));
            }
            i = j;
        } else if c == '#' && next == Some('{') {
            span(&mut out, "op", "#{");
            i += 2;
        } else {
            out.push_str(&escape(&c.to_string()));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_get_classes_and_everything_is_escaped() {
        let h = highlight("let m = #{ a: 1.5e-3 }; // <b>\nprint(`x ${m.a}` + \"<&>\");");
        assert!(h.starts_with("<span class=\"kw\">let</span> m = <span class=\"op\">#{</span>"));
        assert!(h.contains("<span class=\"num\">1.5e-3</span>"));
        assert!(h.contains("<span class=\"com\">// &lt;b&gt;</span>"));
        assert!(h.contains("<span class=\"kw\">print</span>("));
        assert!(h.contains("<span class=\"str\">&quot;&lt;&amp;&gt;&quot;</span>"));
        assert!(!h.contains("<b>") && !h.contains("\"<&>\""));
    }

    #[test]
    fn calls_and_unterminated_strings() {
        let h = highlight("roc_plot (y, s); \"open");
        assert!(h.contains("<span class=\"fn\">roc_plot</span>"));
        assert!(h.ends_with("<span class=\"str\">&quot;open</span>"));
    }
}
