//! Credentials for private remotes.
//!
//! libgit2 calls the credentials callback again after every refused
//! credential, and would loop for ever if the callback kept offering the same
//! one. [`Credentials`] offers each kind once per connection, in this order:
//!
//! 1. a user name, when the server asks for one first (ssh);
//! 2. the ssh agent (`SSH_AUTH_SOCK`), for ssh URLs;
//! 3. git's credential helpers (`credential.helper` from the user's git
//!    configuration), for http(s) URLs;
//! 4. libgit2's default credentials (Negotiate/NTLM single sign-on);
//!
//! and then gives up with an error. Key files are never read and nothing is
//! printed; secrets stay inside libgit2.

use std::cell::RefCell;

use git2::{Config, Cred, CredentialType, RemoteCallbacks};

/// The state of the credential negotiation of one connection.
pub(super) struct Credentials {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// The git configuration for the credential helpers; opened on first
    /// use unless given.
    config: Option<Config>,
    sent_username: bool,
    tried_agent: bool,
    tried_helpers: bool,
    tried_default: bool,
    /// What was offered, for the error message.
    tried: Vec<&'static str>,
    /// Everything was offered and refused.
    exhausted: bool,
}

impl Credentials {
    /// Credentials that read the user's git configuration when a credential
    /// helper is needed.
    pub(super) fn new() -> Self {
        Self {
            state: RefCell::new(State::default()),
        }
    }

    /// Credentials that use `config` for the credential helpers.
    #[cfg(test)]
    fn with_config(config: Config) -> Self {
        Self {
            state: RefCell::new(State {
                config: Some(config),
                ..State::default()
            }),
        }
    }

    /// Remote callbacks that ask this state for credentials.
    pub(super) fn callbacks(&self) -> RemoteCallbacks<'_> {
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(move |url, username, allowed| self.next(url, username, allowed));
        callbacks
    }

    /// Whether authentication was attempted and failed: every kind was
    /// refused, or libgit2 reports an authentication error.
    pub(super) fn failed(&self, error: &git2::Error) -> bool {
        let state = self.state.borrow();
        state.exhausted || (error.code() == git2::ErrorCode::Auth)
    }

    /// The kinds of credentials offered so far, for messages.
    pub(super) fn tried(&self) -> String {
        let state = self.state.borrow();
        if state.tried.is_empty() {
            "nothing the server accepts".to_owned()
        } else {
            state.tried.join(", ")
        }
    }

    /// The next credential to offer.
    fn next(
        &self,
        url: &str,
        username: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        let mut state = self.state.borrow_mut();
        let user = username.map_or_else(default_username, str::to_owned);
        if allowed.contains(CredentialType::USERNAME) && !state.sent_username {
            state.sent_username = true;
            return Cred::username(&user);
        }
        if allowed.contains(CredentialType::SSH_KEY) && !state.tried_agent {
            state.tried_agent = true;
            state.tried.push("the ssh agent");
            return Cred::ssh_key_from_agent(&user);
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && !state.tried_helpers {
            state.tried_helpers = true;
            state.tried.push("git credential helpers");
            let config = match state.config.take() {
                Some(config) => config,
                None => Config::open_default()?,
            };
            let found = Cred::credential_helper(&config, url, username);
            state.config = Some(config);
            if let Ok(cred) = found {
                return Ok(cred);
            }
        }
        if allowed.contains(CredentialType::DEFAULT) && !state.tried_default {
            state.tried_default = true;
            state.tried.push("default credentials");
            return Cred::default();
        }
        state.exhausted = true;
        Err(git2::Error::from_str(
            "the server refused every credential staves can offer",
        ))
    }
}

/// The user name for ssh when the URL has none: the local login name, as
/// `ssh` itself would use.
fn default_username() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "git".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_without_helpers() -> Config {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gitconfig");
        fs_err::write(&path, "").unwrap();
        Config::open(&path).unwrap()
    }

    #[test]
    fn ssh_offers_username_then_agent_then_gives_up() {
        let creds = Credentials::with_config(config_without_helpers());
        let url = "ssh://git@example.invalid/repo.git";
        let ssh = CredentialType::SSH_KEY | CredentialType::USERNAME;
        let first = creds.next(url, None, CredentialType::USERNAME).unwrap();
        assert_eq!(first.credtype(), CredentialType::USERNAME.bits());
        let agent = creds.next(url, Some("git"), ssh).unwrap();
        assert_eq!(agent.credtype(), CredentialType::SSH_KEY.bits());
        // Refused: libgit2 asks again; the agent is not offered twice.
        let err = creds.next(url, Some("git"), ssh).err().unwrap();
        assert!(creds.failed(&err));
        assert_eq!(creds.tried(), "the ssh agent");
    }

    #[test]
    fn https_without_helpers_tries_helpers_and_default_once() {
        let creds = Credentials::with_config(config_without_helpers());
        let url = "https://example.invalid/repo.git";
        let allowed = CredentialType::USER_PASS_PLAINTEXT | CredentialType::DEFAULT;
        let default = creds.next(url, None, allowed).unwrap();
        assert_eq!(default.credtype(), CredentialType::DEFAULT.bits());
        assert!(creds.next(url, None, allowed).is_err());
        assert!(creds.next(url, None, allowed).is_err());
        assert_eq!(creds.tried(), "git credential helpers, default credentials");
    }

    #[test]
    fn https_uses_a_configured_credential_helper() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gitconfig");
        // A helper that answers with fixed values (a shell function, as git
        // allows with a leading `!`).
        fs_err::write(
            &path,
            "[credential]\n\thelper = \"!f() { echo username=u; echo password=p; }; f\"\n",
        )
        .unwrap();
        let creds = Credentials::with_config(Config::open(&path).unwrap());
        let cred = creds
            .next(
                "https://example.invalid/repo.git",
                None,
                CredentialType::USER_PASS_PLAINTEXT,
            )
            .unwrap();
        assert_eq!(cred.credtype(), CredentialType::USER_PASS_PLAINTEXT.bits());
        assert!(cred.has_username());
    }
}
