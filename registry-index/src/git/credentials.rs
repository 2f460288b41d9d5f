//! The default credentials for a git index remote.
//!
//! libgit2 asks again after every refused credential and would loop for
//! ever on the same answer, so each kind is offered once per connection: a
//! user name (ssh), the ssh agent, git's credential helpers, then libgit2's
//! default credentials. Key files are never read. Callers with their own
//! policy pass a [`CallbacksFn`](super::CallbacksFn) instead.

use std::cell::Cell;

use git2::{Config, Cred, CredentialType, RemoteCallbacks};

/// Remote callbacks that offer each kind of credential once.
pub(super) fn default_callbacks() -> RemoteCallbacks<'static> {
    let tried = Cell::new(CredentialType::empty());
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(move |url, username, allowed| {
        let user = username.map_or_else(local_user, str::to_owned);
        let kinds = [
            CredentialType::USERNAME,
            CredentialType::SSH_KEY,
            CredentialType::USER_PASS_PLAINTEXT,
            CredentialType::DEFAULT,
        ];
        for kind in kinds {
            if !allowed.contains(kind) || tried.get().contains(kind) {
                continue;
            }
            tried.set(tried.get() | kind);
            let offered = match kind {
                CredentialType::USERNAME => Cred::username(&user),
                CredentialType::SSH_KEY => Cred::ssh_key_from_agent(&user),
                CredentialType::USER_PASS_PLAINTEXT => Config::open_default()
                    .and_then(|config| Cred::credential_helper(&config, url, username)),
                _ => Cred::default(),
            };
            if let Ok(cred) = offered {
                return Ok(cred);
            }
        }
        Err(git2::Error::from_str(
            "the server refused every credential offered (ssh agent, git credential helpers, \
             default credentials)",
        ))
    });
    callbacks
}

/// The user name for ssh when the URL has none, as `ssh` itself would use.
fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "git".to_owned())
}
