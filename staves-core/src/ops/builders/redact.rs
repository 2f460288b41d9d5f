//! Index locations as shown to people: the user-info of a URL
//! (`https://user:TOKEN@host/…`) is a credential, so messages, status lines
//! and errors show `https://***@host/…` instead.

/// `text` with the user-info of every `scheme://user-info@host` in it
/// replaced by `***`. Text without URLs is returned unchanged.
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the path, query, fragment or the end of the
        // URL in running text (whitespace, quotes, brackets).
        let end = after
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '`' | '\'' | '"' | '<' | '>' | '(' | ')'
                ) || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_hidden() {
        for (given, shown) in [
            (
                "git+https://user:TOKEN@host/idx",
                "git+https://***@host/idx",
            ),
            (
                "sparse+https://TOKEN@host:8443/",
                "sparse+https://***@host:8443/",
            ),
            (
                "failed to fetch `git+https://u:p@a.example/x#main`: no route",
                "failed to fetch `git+https://***@a.example/x#main`: no route",
            ),
            (
                "https://a:b@one/x and https://c@two",
                "https://***@one/x and https://***@two",
            ),
            (
                "git+https://host/idx?user=a@b",
                "git+https://host/idx?user=a@b",
            ),
            ("dir+../index", "dir+../index"),
            ("git+file:///srv/index", "git+file:///srv/index"),
            ("mail me@example.org", "mail me@example.org"),
        ] {
            assert_eq!(redact_userinfo(given), shown, "{given}");
        }
    }
}
