//! `[[user]]`, route `auth = { … }` and `webdav = { … }`.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::raw::Ctx;
use super::ConfigError;

/// A user who can authenticate with HTTP Basic.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name.
    pub name: String,
    /// The stored hash: `$argon2id$…` (from `methodical hash-password`) or bcrypt `$2y$`/`$2b$`
    /// (from `htpasswd -B`). Never a clear password.
    pub password_hash: String,
}

/// Who may do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// Anybody, authenticated or not.
    Anyone,
    /// Any authenticated user.
    Users,
    /// These users.
    Named(Vec<String>),
}

impl Who {
    /// Does this admit `user` (`None` = anonymous)?
    pub fn admits(&self, user: Option<&str>) -> bool {
        match (self, user) {
            (Who::Anyone, _) => true,
            (Who::Users, Some(_)) => true,
            (Who::Named(names), Some(u)) => names.iter().any(|n| n == u),
            _ => false,
        }
    }
}

/// `auth = { realm = "files", write = ["alice"], read = "anyone" }`.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The Basic realm.
    pub realm: String,
    /// Who may use safe methods.
    pub read: Who,
    /// Who may use the other methods.
    pub write: Who,
}

/// `webdav = { root = "dav", read_only = false, search = true, anonymous_write = true }`.
#[derive(Debug, Clone)]
pub struct WebDavSettings {
    /// The folder.
    pub root: PathBuf,
    /// Only reading methods allowed (writes get 405 + Allow).
    pub read_only: bool,
    /// SEARCH (RFC 5323) allowed; otherwise 405.
    pub search: bool,
    /// Writes without authentication.
    pub anonymous_write: bool,
    /// Folder listings for browsers on GET.
    pub browse: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUser {
    name: Spanned<String>,
    password_hash: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawWho {
    Word(String),
    Names(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    realm: Option<String>,
    read: Option<Spanned<RawWho>>,
    write: Option<Spanned<RawWho>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebDav {
    root: Spanned<String>,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    search: bool,
    #[serde(default)]
    anonymous_write: bool,
    #[serde(default)]
    browse: bool,
}

/// Is `hash` a password hash methodical can verify?
pub fn known_hash_format(hash: &str) -> bool {
    let bcrypt = ["$2y$", "$2b$", "$2a$"].iter().any(|p| hash.starts_with(p)) && hash.len() == 60;
    bcrypt || (hash.starts_with("$argon2") && argon2::PasswordHash::new(hash).is_ok())
}

pub(super) fn users(ctx: &Ctx, raw: &[RawUser]) -> Result<Vec<User>, ConfigError> {
    let mut out: Vec<User> = Vec::new();
    for u in raw {
        let name = u.name.get_ref();
        if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
            return ctx.err(u.name.span(), format!("`{name}` is not a user name"), "names are non-empty and contain no `:`");
        }
        if out.iter().any(|o| &o.name == name) {
            return ctx.err(u.name.span(), format!("the user `{name}` is defined twice"), "keep one [[user]] per name");
        }
        let hash = u.password_hash.get_ref().trim();
        if !known_hash_format(hash) {
            return ctx.err(
                u.password_hash.span(),
                format!("the password hash of `{name}` is not an argon2 or bcrypt hash"),
                "run `methodical hash-password` and paste its output, or use a bcrypt line from `htpasswd -nB user`; never a clear password",
            );
        }
        out.push(User { name: name.clone(), password_hash: hash.to_string() });
    }
    Ok(out)
}

fn who(ctx: &Ctx, raw: &Spanned<RawWho>, users: &[User]) -> Result<Who, ConfigError> {
    match raw.get_ref() {
        RawWho::Word(w) if w == "anyone" => Ok(Who::Anyone),
        RawWho::Word(w) if w == "users" => Ok(Who::Users),
        RawWho::Word(w) => ctx.err(raw.span(), format!("`{w}` is not `anyone`, `users` or a list of user names"), "write `\"anyone\"`, `\"users\"` (any logged-in user) or `[\"alice\"]`"),
        RawWho::Names(names) => {
            for n in names {
                if !users.iter().any(|u| &u.name == n) {
                    return ctx.err(raw.span(), format!("there is no [[user]] named `{n}`"), format!("add\n\n  [[user]]\n  name = \"{n}\"\n  password_hash = \"…\"   # from `methodical hash-password`"));
                }
            }
            Ok(Who::Named(names.clone()))
        }
    }
}

pub(super) fn auth(ctx: &Ctx, raw: &RawAuth, users: &[User], span: std::ops::Range<usize>) -> Result<AuthConfig, ConfigError> {
    if users.is_empty() {
        return ctx.err(span, "`auth` is set but no [[user]] is defined", "add a [[user]] with a password_hash from `methodical hash-password`");
    }
    Ok(AuthConfig {
        realm: raw.realm.clone().unwrap_or_else(|| "methodical".into()),
        read: match &raw.read {
            None => Who::Anyone,
            Some(w) => who(ctx, w, users)?,
        },
        write: match &raw.write {
            None => Who::Users,
            Some(w) => who(ctx, w, users)?,
        },
    })
}

pub(super) fn webdav(ctx: &Ctx, raw: &RawWebDav) -> Result<WebDavSettings, ConfigError> {
    let root = ctx.path(raw.root.get_ref());
    if !root.is_dir() {
        return ctx.err(
            raw.root.span(),
            format!("the webdav root `{}` (resolved to {}) is not a folder", raw.root.get_ref(), root.display()),
            "create the folder, or give an existing one; relative paths are relative to the configuration file's folder",
        );
    }
    Ok(WebDavSettings { root, read_only: raw.read_only, search: raw.search, anonymous_write: raw.anonymous_write, browse: raw.browse })
}
