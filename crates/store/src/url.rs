//! The database URL, checked when configuration is loaded.

use std::{fmt, path::PathBuf, str::FromStr};

/// Which database partimap uses.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// The embedded store: an SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL/PostGIS connection string (may contain a password).
    Postgres(String),
}

impl DatabaseUrl {
    /// The embedded store in `data_dir`.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        Self::Sqlite(data_dir.into().join("partimap.sqlite"))
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("sqlite: URL without a file path".into());
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self::Postgres(s.to_owned()))
        } else {
            Err(format!(
                "unsupported database URL {:?}: expected sqlite://PATH or postgres://…",
                redact(s)
            ))
        }
    }
}

/// Replaces the password of a URL's user info by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Printing a URL never shows its password (for logs and `--help`).
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_when_printed() {
        let url: DatabaseUrl = "postgres://partimap:geheim@db.example:5432/partimap"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://partimap:***@db.example:5432/partimap"
        );
        assert!(!format!("{url:?}").contains("geheim"));
    }

    #[test]
    fn unknown_schemes_are_rejected_without_echoing_secrets() {
        let err = "mysql://u:secret@h/db".parse::<DatabaseUrl>().unwrap_err();
        assert!(err.contains("unsupported database URL"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        assert_eq!(
            "sqlite://var/p.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("var/p.db".into())
        );
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }
}
