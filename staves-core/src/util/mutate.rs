//! Deterministic text mutation for the in-crate fuzz tests of the parsers
//! (the `fuzz/` targets need nightly; these run in every `cargo test`).

/// A small deterministic generator (xorshift), so failures reproduce.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A number below `n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// TOML syntax and awkward characters, which every TOML parser meets.
const TOML_TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "=",
    ",",
    ".",
    "\n",
    "\r\n",
    "#",
    " ",
    "\t",
    "\\",
    "\\u00e9",
    "é",
    "😀",
    "\0",
    "0",
    "1",
    "-1",
    "1.5",
    "true",
    "1979-05-27T07:32:00Z",
];

/// `text` with one to five random edits: cuts, inserted or replacing
/// tokens (TOML syntax, or the parser's own words from `tokens`),
/// duplicated pieces, swapped lines.
pub(crate) fn mutate(rng: &mut Rng, text: &str, tokens: &[&str]) -> String {
    let mut text = text.to_owned();
    let token = |rng: &mut Rng| {
        if tokens.is_empty() || rng.below(2) == 0 {
            TOML_TOKENS[rng.below(TOML_TOKENS.len())]
        } else {
            tokens[rng.below(tokens.len())]
        }
    };
    for _ in 0..=rng.below(4) {
        let at = char_boundary(&text, rng.below(text.len() + 1));
        let to = char_boundary(&text, at + rng.below(12));
        match rng.below(5) {
            0 => text.replace_range(at..to, ""),
            1 => text.insert_str(at, token(rng)),
            2 => text.replace_range(at..to, token(rng)),
            3 => {
                let piece = text[at..to].to_owned();
                text.insert_str(to, &piece);
            }
            _ => {
                let mut lines: Vec<&str> = text.lines().collect();
                if lines.len() > 1 {
                    let a = rng.below(lines.len());
                    let b = rng.below(lines.len());
                    lines.swap(a, b);
                }
                text = lines.join("\n");
            }
        }
    }
    text
}
