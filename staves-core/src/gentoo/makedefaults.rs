//! The bash-like `KEY="value"` files read by Portage: a profile's
//! `make.defaults` and the user's `make.conf`.
//!
//! Portage does not run bash on these files; it reads them with
//! `portage.util.getconfig`, which tokenises with Python's `shlex` (POSIX
//! mode) and then expands variables in each value with `varexpand`. This
//! module copies those two steps, including their quirks, so that values
//! come out exactly as Portage 3.0.83 sees them:
//!
//! * `KEY=value`, `KEY="value"`, `KEY='value'`, `export KEY=value`; spaces
//!   around `=` are accepted (`KEY = value`), adjacent quoted and unquoted
//!   parts join (`"a"'b'c` is `abc`).
//! * `#` starts a comment at the start of a word (also inside an unquoted
//!   word: `foo#bar` is `foo`).
//! * `\` escapes the next character outside quotes; inside double quotes
//!   `\"`, `\\`, `\$` and backslash-newline (a line continuation) are
//!   escapes; newlines inside values become spaces.
//! * `$VAR` and `${VAR}` expand to the value of an earlier assignment (in
//!   this file or, through the caller's map, an earlier file such as a
//!   parent profile); unknown variables expand to nothing. As in Portage,
//!   **single quotes do not prevent expansion** (`'$A'` expands `A`).
//!
//! Constructs Portage cannot evaluate are errors here (Portage only warns
//! and stores an empty value): `$(…)`, `${VAR:-x}` and other parameter
//! operators, `source`, arrays, and anything that is not an assignment.
//! Every error carries the 1-based line number.

use std::collections::BTreeMap;

use super::error::ParseError;

/// Parses one file. `env` holds the variables visible to `$VAR`
/// expansion (values from earlier files); every assignment of this file is
/// added to it as it is read, as Portage's `getconfig(expand=map)` does.
/// Returns this file's assignments (a later assignment of a key replaces
/// an earlier one).
///
/// # Errors
/// Unsupported syntax, unterminated quotes, invalid variable names, or a
/// missing value, with the line number.
pub fn parse(
    text: &str,
    env: &mut BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ParseError> {
    let mut lex = Lexer::new(text);
    let mut out = BTreeMap::new();
    loop {
        let Some(mut key) = lex.token()? else {
            return Ok(out);
        };
        if key.is_word("export") {
            key = lex.token()?.ok_or_else(|| {
                ParseError::on_line(key.line, "`export` without an assignment after it")
            })?;
        }
        if key.is_word("source") || key.is_word(".") {
            return Err(ParseError::on_line(
                key.line,
                "`source` is not supported: copy the settings into this file",
            ));
        }
        if key.punct {
            return Err(ParseError::on_line(
                key.line,
                format!(
                    "unsupported shell syntax `{}`: only KEY=\"value\" assignments are allowed",
                    key.text
                ),
            ));
        }
        let eq = lex.token()?.ok_or_else(|| {
            ParseError::on_line(
                key.line,
                format!(
                    "`{}` is not followed by `=value` (unexpected end of file)",
                    key.text
                ),
            )
        })?;
        if !(eq.punct && eq.text == "=") {
            return Err(ParseError::on_line(
                eq.line,
                format!(
                    "expected `=` after `{}`, found `{}` (only KEY=\"value\" assignments are allowed)",
                    key.text, eq.text
                ),
            ));
        }
        let value = lex.token()?.ok_or_else(|| {
            ParseError::on_line(
                eq.line,
                format!(
                    "variable `{}` has no value (unexpected end of file)",
                    key.text
                ),
            )
        })?;
        if value.punct {
            return Err(ParseError::on_line(
                value.line,
                format!(
                    "unsupported shell syntax `{}` in the value of `{}`: quote the value",
                    value.text, key.text
                ),
            ));
        }
        if !valid_name(&key.text) {
            return Err(ParseError::on_line(
                key.line,
                format!("invalid variable name `{}`", key.text),
            ));
        }
        let expanded = varexpand(&value.text, env).map_err(|m| {
            ParseError::on_line(value.line, format!("in the value of `{}`: {m}", key.text))
        })?;
        env.insert(key.text.clone(), expanded.clone());
        out.insert(key.text, expanded);
    }
}

/// Portage's `_invalid_var_name_re` is `^\d|\W`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// One shlex token.
#[derive(Debug)]
struct Token {
    text: String,
    /// A single non-word character returned on its own (`=`, `(`, `|`…).
    punct: bool,
    /// 1-based line where the token starts.
    line: usize,
}

impl Token {
    fn is_word(&self, w: &str) -> bool {
        !self.punct && self.text == w
    }
}

/// Python's `shlex.shlex(posix=True)` with getconfig's `wordchars` and
/// `quotes = "\"'"`, `escape = "\\"`, `escapedquotes = "\""`,
/// `commenters = "#"`.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    pushback: Option<char>,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "~!@#$%*_\\:;?,./-+{}".contains(c)
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Start,
    Word,
    Quote(char),
    Escape(Option<char>),
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            line: 1,
            pushback: None,
        }
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.pushback.take().or_else(|| self.chars.next())?;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.next_char() {
            if c == '\n' {
                break;
            }
        }
    }

    fn token(&mut self) -> Result<Option<Token>, ParseError> {
        let mut state = State::Start;
        let mut token = String::new();
        let mut quoted = false;
        let mut start_line = self.line;
        loop {
            let c = self.next_char();
            match state {
                State::Start => {
                    let Some(c) = c else { return Ok(None) };
                    start_line = self.line - usize::from(c == '\n');
                    if is_space(c) {
                        continue;
                    } else if c == '#' {
                        self.skip_comment();
                    } else if c == '\\' {
                        state = State::Escape(None);
                    } else if is_word_char(c) {
                        token.push(c);
                        state = State::Word;
                    } else if c == '"' || c == '\'' {
                        state = State::Quote(c);
                    } else {
                        return Ok(Some(Token {
                            text: c.to_string(),
                            punct: true,
                            line: start_line,
                        }));
                    }
                }
                State::Word => match c {
                    None => break,
                    Some(c) if is_space(c) => break,
                    Some('#') => {
                        self.skip_comment();
                        break;
                    }
                    Some(c @ ('"' | '\'')) => state = State::Quote(c),
                    Some('\\') => state = State::Escape(None),
                    Some(c) if is_word_char(c) => token.push(c),
                    Some(c) => {
                        self.pushback = Some(c);
                        break;
                    }
                },
                State::Quote(q) => {
                    quoted = true;
                    match c {
                        None => {
                            return Err(ParseError::on_line(
                                start_line,
                                format!("no closing `{q}` for the quote opened here"),
                            ));
                        }
                        Some(c) if c == q => state = State::Word,
                        Some('\\') if q == '"' => state = State::Escape(Some('"')),
                        Some(c) => token.push(c),
                    }
                }
                State::Escape(inside) => {
                    let Some(c) = c else {
                        return Err(ParseError::on_line(
                            self.line,
                            "backslash at the end of the file escapes nothing",
                        ));
                    };
                    if let Some(q) = inside {
                        if c != '\\' && c != q {
                            token.push('\\');
                        }
                        token.push(c);
                        state = State::Quote(q);
                    } else {
                        token.push(c);
                        state = State::Word;
                    }
                }
            }
        }
        if token.is_empty() && !quoted {
            return Ok(None);
        }
        Ok(Some(Token {
            text: token,
            punct: false,
            line: start_line,
        }))
    }
}

/// Portage's `varexpand` on an already unquoted token: `$VAR`/`${VAR}`
/// expansion, newline to space, `\\`, `\$` and backslash-newline removal.
fn varexpand(s: &str, env: &BTreeMap<String, String>) -> Result<String, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let (mut insing, mut indoub) = (false, false);
    let mut pos = 0;
    while pos < chars.len() {
        let c = chars[pos];
        if c == '\'' {
            out.push(c);
            if !indoub {
                insing = !insing;
            }
            pos += 1;
            continue;
        }
        if c == '"' {
            out.push(c);
            if !insing {
                indoub = !indoub;
            }
            pos += 1;
            continue;
        }
        if insing {
            out.push(c);
            pos += 1;
            continue;
        }
        match c {
            '\n' => {
                out.push(' ');
                pos += 1;
            }
            '\\' => {
                let Some(&next) = chars.get(pos + 1) else {
                    out.push('\\');
                    break;
                };
                pos += 2;
                match next {
                    '$' => out.push('$'),
                    '\\' => {
                        out.push('\\');
                        // Portage's bug-for-bug behaviour.
                        if let Some(&q @ ('\'' | '"' | '$')) = chars.get(pos) {
                            out.push(q);
                            pos += 1;
                        }
                    }
                    '\n' => {}
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '$' => {
                pos += 1;
                if pos == chars.len() {
                    out.push('$');
                    continue;
                }
                let braced = chars[pos] == '{';
                if braced {
                    pos += 1;
                }
                let start = pos;
                while pos < chars.len() && (chars[pos].is_ascii_alphanumeric() || chars[pos] == '_')
                {
                    pos += 1;
                }
                let name: String = chars[start..pos].iter().collect();
                if braced {
                    match chars.get(pos) {
                        Some('}') => pos += 1,
                        Some(other) => {
                            return Err(format!(
                                "`${{{name}{other}…}}` is not supported (only `${{VAR}}` and `$VAR` expand)"
                            ));
                        }
                        None => return Err("`${` without a closing `}`".to_owned()),
                    }
                }
                if name.is_empty() {
                    let what = chars.get(pos).map_or(String::new(), |c| c.to_string());
                    return Err(format!(
                        "`${what}…` is not supported (command substitution and special \
                         parameters cannot be evaluated; write the value out)"
                    ));
                }
                if let Some(v) = env.get(&name) {
                    out.push_str(v);
                }
            }
            other => {
                out.push(other);
                pos += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> BTreeMap<String, String> {
        parse(text, &mut BTreeMap::new()).unwrap()
    }

    fn err(text: &str) -> ParseError {
        parse(text, &mut BTreeMap::new()).unwrap_err()
    }

    /// Expected values were produced by Portage 3.0.83's
    /// `portage.util.getconfig(path, expand={})` on the same text.
    #[test]
    fn matches_portage_getconfig() {
        let got = run(r#"A="x y"
B='$A z'
C="\$A ${A}"
export D=$A-tail
E="multi
line \
cont"
F=unq\ uoted
G="a"'b'c
H=foo#bar
I = spaced
J="${A}${NOPE}end"
"#);
        let want = [
            ("A", "x y"),
            ("B", "x y z"),
            ("C", "$A x y"),
            ("D", "x y-tail"),
            ("E", "multi line cont"),
            ("F", "unq uoted"),
            ("G", "abc"),
            ("H", "foo"),
            ("I", "spaced"),
            ("J", "x yend"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        );
    }

    #[test]
    fn real_profile_make_defaults() {
        let mut env = BTreeMap::new();
        let arch = parse(
            "# comment\nARCH=\"amd64\"\nACCEPT_KEYWORDS=\"${ARCH}\"\n\
             CFLAGS=\"-O2 -pipe\"\nCXXFLAGS=\"${CFLAGS}\"\n\
             USE_EXPAND_HIDDEN=\"-ABI_X86 -CPU_FLAGS_X86\"\nEMPTY=\"\"\n",
            &mut env,
        )
        .unwrap();
        assert_eq!(arch["ACCEPT_KEYWORDS"], "amd64");
        assert_eq!(arch["CXXFLAGS"], "-O2 -pipe");
        assert_eq!(arch["EMPTY"], "");
        // A later file sees the earlier one's values through `env`.
        let child = parse("LDFLAGS=\"-Wl,-O1 ${CFLAGS}\"\n", &mut env).unwrap();
        assert_eq!(child["LDFLAGS"], "-Wl,-O1 -O2 -pipe");
        assert_eq!(env["LDFLAGS"], "-Wl,-O1 -O2 -pipe");
    }

    #[test]
    fn unsupported_constructs_are_errors_with_lines() {
        let e = err("A=1\nsource /etc/foo\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("`source`"), "{}", e.message);
        let e = err("A=1\n\nB=\"$(uname)\"\n");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("command substitution"), "{}", e.message);
        let e = err("B=\"${A:-x}\"\n");
        assert!(e.message.contains("not supported"), "{}", e.message);
        let e = err("A=(a b)\n");
        assert!(
            e.message.contains("unsupported shell syntax `(`"),
            "{}",
            e.message
        );
        let e = err("A=\"open\nB=1\n");
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("no closing"), "{}", e.message);
        let e = err("echo hi\n");
        assert!(e.message.contains("expected `=`"), "{}", e.message);
        let e = err("1A=x\n");
        assert!(e.message.contains("invalid variable name"), "{}", e.message);
        assert!(err("A=").message.contains("no value"));
        assert!(err("A=x\nif true; then B=1; fi\n").line == Some(2));
    }

    #[test]
    fn comments_escapes_and_line_numbers() {
        // Checked against Portage's getconfig, like the test above.
        let got = run("# c\nA=1 # trailing\n\n  B=\"two\\\"q\\\\\"\nC=a\\\nb\nD=\"x\\y\" E=\\$A\n");
        assert_eq!(got["D"], "x\\y");
        // `\$` outside quotes is unescaped by shlex, then expanded.
        assert_eq!(got["E"], "1");
        assert_eq!(got["A"], "1");
        assert_eq!(got["B"], "two\"q\\");
        // Outside quotes, backslash-newline leaves a newline in the token,
        // which varexpand turns into a space (Portage behaviour).
        assert_eq!(got["C"], "a b");
        let e = err("A=1\nB=2\n\n\nC\n");
        assert_eq!(e.line, Some(5));
    }

    #[test]
    fn never_panics() {
        let alphabet = [
            "A", "=", "\"", "'", "\\", "$", "{", "}", "\n", " ", "#", "(", "é",
        ];
        let mut seed = 7_u32;
        for len in 0..200 {
            let mut s = String::new();
            for _ in 0..len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                s.push_str(alphabet[(seed >> 16) as usize % alphabet.len()]);
            }
            let _ = parse(&s, &mut BTreeMap::new());
        }
    }
}
