//! Registry authentication: `WWW-Authenticate` challenges and the token
//! endpoint (Docker's token protocol and its OAuth2 refresh-token form).

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use serde::Deserialize;
use url::Url;

use super::auth::Credentials;
use super::push_error::{PushError, chain};

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// The first Basic or Bearer challenge in the response headers.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Challenge> {
        headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(Challenge::parse)
    }

    /// Parses `Basic realm="x"` or `Bearer realm="…",service="…",scope="…"`.
    pub(crate) fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = parse_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        Some(Challenge::Bearer {
            realm: get("realm")?,
            service: get("service"),
            scope: get("scope"),
        })
    }
}

/// `k="v", k2=v2` with quoted values that may hold commas and `\"`.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    out
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Gets a bearer token for `scope` from the token endpoint `realm`.
pub(crate) fn fetch_token(
    client: &Client,
    registry: &str,
    realm: &str,
    service: Option<&str>,
    scope: &str,
    credentials: Option<&Credentials>,
) -> Result<String, PushError> {
    let fail = |message: String| PushError::Token {
        registry: registry.to_owned(),
        realm: realm.to_owned(),
        message,
    };
    let mut url = Url::parse(realm).map_err(|e| fail(format!("invalid realm URL: {e}")))?;
    let request = match credentials {
        Some(Credentials::IdentityToken(refresh)) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "refresh_token")
                .append_pair("refresh_token", refresh)
                .append_pair("client_id", "staves")
                .append_pair("scope", scope);
            if let Some(service) = service {
                form.append_pair("service", service);
            }
            client
                .post(url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form.finish())
        }
        other => {
            {
                let mut query = url.query_pairs_mut();
                if let Some(service) = service {
                    query.append_pair("service", service);
                }
                query.append_pair("scope", scope);
            }
            let request = client.get(url);
            match other {
                Some(Credentials::Basic { username, password }) => {
                    request.basic_auth(username, Some(password))
                }
                _ => request,
            }
        }
    };
    let response = request.send().map_err(|e| fail(chain(e)))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(PushError::Unauthorized {
            registry: registry.to_owned(),
            repository: scope.to_owned(),
            action: "get a token".to_owned(),
            detail: format!("token endpoint answered HTTP {}", status.as_u16()),
        });
    }
    if !status.is_success() {
        return Err(fail(format!("HTTP {}", status.as_u16())));
    }
    let reply: TokenReply = response
        .json_body()
        .map_err(|e| fail(format!("unreadable token response: {e}")))?;
    reply
        .token
        .or(reply.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| fail("token response has neither `token` nor `access_token`".to_owned()))
}

/// Reads a JSON body without reqwest's `json` feature.
trait JsonBody {
    fn json_body<T: serde::de::DeserializeOwned>(self) -> Result<T, String>;
}

impl JsonBody for reqwest::blocking::Response {
    fn json_body<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        let bytes = self.bytes().map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_challenges_registry_2_8_sends() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="staves-test""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="http://127.0.0.1:5058/token",service="staves-registry",scope="repository:staves/proto:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:5058/token".into(),
                service: Some("staves-registry".into()),
                scope: Some("repository:staves/proto:pull,push".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"bearer realm=https://auth.example/token, service="a \"b\"""#),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some(r#"a "b""#.into()),
                scope: None,
            })
        );
        assert_eq!(Challenge::parse("Negotiate abc"), None);
        assert_eq!(Challenge::parse(r#"Bearer service="x""#), None);
    }
}
