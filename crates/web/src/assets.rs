//! `/assets/`: static files under the assets path, as Go's `http.FileServer`
//! serves them for matchbox (Last-Modified, conditional requests, ranges,
//! directory redirects, `index.html`), but confined by default (D9): paths
//! are canonicalized and must stay inside the assets path, dotfiles are
//! hidden, and directories are not listed. Each restriction has a quirk.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::compat::{Compat, Quirk};
use crate::content::{Content, serve_content};
use crate::failure::Failure;
use crate::gourl;

#[derive(Debug, Clone)]
pub struct Assets {
    /// Canonical assets path.
    root: PathBuf,
}

impl Assets {
    pub fn new(root: &Path) -> std::io::Result<Assets> {
        Ok(Assets {
            root: std::fs::canonicalize(root)?,
        })
    }

    /// `url_path` is the decoded request path below `/assets` (starting with `/`).
    pub async fn serve(
        &self,
        compat: Compat,
        method: &Method,
        headers: &HeaderMap,
        url_path: &str,
        raw_query: Option<&str>,
    ) -> Result<Response<Body>, Failure> {
        let name = gourl::clean(url_path);
        if url_path.ends_with("/index.html") {
            return Ok(local_redirect("./", raw_query));
        }
        if !compat.has(Quirk::AssetsDotfiles) && name.split('/').any(|seg| seg.starts_with('.')) {
            return Err(Failure::not_found(
                "asset-hidden",
                format!("assets{name}: files and directories whose names start with a dot are not served"),
            ));
        }
        let fs_path = self.root.join(name.trim_start_matches('/'));
        let not_found = || {
            Failure::not_found(
                "asset-not-found",
                format!("no file assets{name} under {}", self.root.display()),
            )
        };
        let meta = match tokio::fs::metadata(&fs_path).await {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Failure {
                    status: StatusCode::FORBIDDEN,
                    code: "asset-forbidden",
                    detail: format!("assets{name}: {e}"),
                });
            }
            Err(_) => return Err(not_found()),
        };
        if !compat.has(Quirk::AssetsFollowSymlinks) {
            match tokio::fs::canonicalize(&fs_path).await {
                Ok(real) if real.starts_with(&self.root) => {}
                Ok(real) => {
                    return Err(Failure::not_found(
                        "asset-outside-root",
                        format!(
                            "assets{name} is a symlink to {}, outside the assets path",
                            real.display()
                        ),
                    ));
                }
                Err(_) => return Err(not_found()),
            }
        }
        let base = url_path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if meta.is_dir() {
            if !url_path.ends_with('/') {
                return Ok(local_redirect(&format!("{base}/"), raw_query));
            }
            let index = fs_path.join("index.html");
            if let Ok(file) = tokio::fs::File::open(&index).await
                && let Ok(m) = file.metadata().await
                && m.is_file()
            {
                let size = m.len();
                return Ok(serve_content(
                    method,
                    headers,
                    "index.html",
                    m.modified().ok(),
                    Content::File { file, size },
                )
                .await);
            }
            if !compat.has(Quirk::AssetsListing) {
                return Err(Failure::not_found(
                    "asset-listing-disabled",
                    format!(
                        "assets{name} is a directory and directory listing is off (turn it on with --compat assets-listing)"
                    ),
                ));
            }
            return Ok(self.list(compat, method, headers, &fs_path, meta.modified().ok()).await);
        }
        if url_path.ends_with('/') {
            return Ok(local_redirect(&format!("../{base}"), raw_query));
        }
        let file = tokio::fs::File::open(&fs_path).await.map_err(|_| not_found())?;
        let size = meta.len();
        Ok(serve_content(
            method,
            headers,
            base,
            meta.modified().ok(),
            Content::File { file, size },
        )
        .await)
    }

    async fn list(
        &self,
        compat: Compat,
        method: &Method,
        headers: &HeaderMap,
        dir: &Path,
        modtime: Option<std::time::SystemTime>,
    ) -> Response<Body> {
        // Conditional GET on the directory's mtime, as Go does before listing.
        let not_modified = modtime.is_some_and(|m| {
            headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .is_some_and(|t| truncate(m) <= t)
        });
        let mut resp = if not_modified {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            let mut entries = Vec::new();
            if let Ok(mut rd) = tokio::fs::read_dir(dir).await {
                while let Ok(Some(e)) = rd.next_entry().await {
                    let Ok(name) = e.file_name().into_string() else {
                        continue;
                    };
                    if name.starts_with('.') && !compat.has(Quirk::AssetsDotfiles) {
                        continue;
                    }
                    let is_dir = tokio::fs::metadata(e.path()).await.is_ok_and(|m| m.is_dir());
                    entries.push(if is_dir { format!("{name}/") } else { name });
                }
            }
            entries.sort();
            let mut html =
                String::from("<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n");
            for name in entries {
                let mut href = gourl::escape_path(&name);
                // url.URL.String() guards a first segment with a colon.
                if name.split('/').next().is_some_and(|s| s.contains(':')) {
                    href.insert_str(0, "./");
                }
                html.push_str(&format!("<a href=\"{href}\">{}</a>\n", gourl::html_escape(&name)));
            }
            html.push_str("</pre>\n");
            let mut r = Response::new(if method == Method::HEAD {
                Body::empty()
            } else {
                Body::from(html.clone())
            });
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(html.len()));
            r
        };
        if let Some(m) = modtime
            && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(truncate(m)))
        {
            resp.headers_mut().insert(header::LAST_MODIFIED, v);
        }
        resp
    }
}

fn truncate(t: std::time::SystemTime) -> std::time::SystemTime {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

/// Go's `localRedirect`: a relative Location, 301, the query kept.
fn local_redirect(target: &str, raw_query: Option<&str>) -> Response<Body> {
    let mut location = target.to_owned();
    if let Some(q) = raw_query.filter(|q| !q.is_empty()) {
        location.push('?');
        location.push_str(q);
    }
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(v) = HeaderValue::from_str(&gourl::hex_escape_non_ascii(&location)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}
