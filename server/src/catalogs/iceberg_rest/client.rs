//! A small Iceberg REST client: config, namespaces, tables and table metadata, with bearer, OAuth2 or SigV4 auth.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::sigv4::SigV4;
use crate::catalogs::CatalogError;
use crate::catalogs::outbound::{OutboundPolicy, refusal_in, remote_text};
use crate::catalogs::params::{IcebergRestSpec, RestAuth};

const REST_URI: &str = "catalog.iceberg-rest.restUri";
const TOKEN_URI: &str = "catalog.iceberg-rest.oauth2-server-uri";

/// Iceberg joins the levels of a namespace with the unit separator in URL paths.
const NAMESPACE_SEPARATOR: &str = "\u{1f}";

pub struct RestClient {
    http: reqwest::Client,
    policy: OutboundPolicy,
    uri: String,
    warehouse: Option<String>,
    prefix: Option<String>,
    auth: RestAuth,
    signer: Option<SigV4>,
    token: Mutex<Option<(String, Instant)>>,
}

/// Why a table commit failed, by what it means for the table.
#[derive(Debug, Clone)]
pub enum CommitFailure {
    /// 409: the table changed since it was loaded; nothing was applied.
    Conflict(String),
    /// Sent, but no definite answer (5xx, a timeout, a dropped connection): it may have been applied.
    Unknown(String),
    /// Refused, or never sent: nothing was applied.
    Refused(CatalogError),
}

#[derive(Debug, Deserialize)]
struct CatalogConfig {
    #[serde(default)]
    overrides: serde_json::Map<String, Value>,
    #[serde(default)]
    defaults: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct ListNamespaces {
    namespaces: Vec<Vec<String>>,
    #[serde(rename = "next-page-token", default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TableIdentifier {
    name: String,
}

#[derive(Debug, Deserialize)]
struct ListTables {
    identifiers: Vec<TableIdentifier>,
    #[serde(rename = "next-page-token", default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl RestClient {
    /// A client whose every request passes `policy` (see `send`).
    pub fn new(spec: &IcebergRestSpec, policy: &OutboundPolicy) -> Result<Self, CatalogError> {
        if let RestAuth::OAuth2 { client_secret, .. } = &spec.auth
            && crate::catalogs::params::is_mask(client_secret.expose())
        {
            return Err(CatalogError::InvalidConfig(
                "catalog.iceberg-rest.credential is masked ('*****') and no stored secret matches this connection".into(),
            ));
        }
        let http = policy.http_client(
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(60)),
        )?;
        let signer = match &spec.auth {
            RestAuth::SigV4 {
                signing_name,
                region,
                access_key,
                secret_key,
            } => Some(SigV4 {
                signing_name: signing_name.clone(),
                region: region.clone(),
                access_key: access_key.clone(),
                secret_key: secret_key.expose().to_owned(),
            }),
            _ => None,
        };
        Ok(Self {
            http,
            policy: policy.clone(),
            uri: spec.uri.clone(),
            warehouse: spec.warehouse.clone(),
            prefix: spec.prefix.clone(),
            auth: spec.auth.clone(),
            signer,
            token: Mutex::new(None),
        })
    }

    /// Asks the catalog for its settings; its `prefix` override (Glue's
    /// `catalogs/<account>`, a table bucket ARN) places every later path.
    pub async fn connect(&mut self) -> Result<(), CatalogError> {
        let mut url = format!("{}/v1/config", self.uri);
        if let Some(warehouse) = &self.warehouse {
            url.push_str(&format!("?warehouse={}", encode(warehouse)));
        }
        let config: CatalogConfig = serde_json::from_value(self.get(&url).await?)
            .map_err(|e| CatalogError::BadData(format!("catalog config response: {e}")))?;
        if self.prefix.is_none() {
            self.prefix = config
                .overrides
                .get("prefix")
                .or_else(|| config.defaults.get("prefix"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        Ok(())
    }

    fn base(&self) -> String {
        match &self.prefix {
            // Used as given: catalogs hand out prefixes already encoded for a path
            // (S3 Tables sends its table bucket ARN percent-encoded).
            Some(prefix) if !prefix.trim_matches('/').is_empty() => {
                format!("{}/v1/{}", self.uri, prefix.trim_matches('/'))
            }
            _ => format!("{}/v1", self.uri),
        }
    }

    /// Namespaces directly under `parent` (all top-level ones when empty).
    pub async fn list_namespaces(
        &self,
        parent: &[String],
    ) -> Result<Vec<Vec<String>>, CatalogError> {
        let mut all = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut url = format!("{}/namespaces", self.base());
            let mut query = Vec::new();
            if !parent.is_empty() {
                query.push(format!(
                    "parent={}",
                    encode(&parent.join(NAMESPACE_SEPARATOR))
                ));
            }
            if let Some(token) = &page {
                query.push(format!("pageToken={}", encode(token)));
            }
            if !query.is_empty() {
                url.push('?');
                url.push_str(&query.join("&"));
            }
            let listed: ListNamespaces = serde_json::from_value(self.get(&url).await?)
                .map_err(|e| CatalogError::BadData(format!("namespace listing: {e}")))?;
            all.extend(listed.namespaces);
            match listed.next_page_token.filter(|t| !t.is_empty()) {
                Some(token) => page = Some(token),
                None => return Ok(all),
            }
        }
    }

    pub async fn list_tables(&self, namespace: &[String]) -> Result<Vec<String>, CatalogError> {
        let mut all = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut url = format!(
                "{}/namespaces/{}/tables",
                self.base(),
                encode(&namespace.join(NAMESPACE_SEPARATOR))
            );
            if let Some(token) = &page {
                url.push_str(&format!("?pageToken={}", encode(token)));
            }
            let listed: ListTables = serde_json::from_value(self.get(&url).await?)
                .map_err(|e| CatalogError::BadData(format!("table listing: {e}")))?;
            all.extend(listed.identifiers.into_iter().map(|t| t.name));
            match listed.next_page_token.filter(|t| !t.is_empty()) {
                Some(token) => page = Some(token),
                None => return Ok(all),
            }
        }
    }

    /// The `LoadTableResult` of a table: metadata location, metadata, config and vended credentials.
    pub async fn load_table(
        &self,
        namespace: &[String],
        table: &str,
    ) -> Result<Value, CatalogError> {
        self.get(&self.table_url(namespace, table)).await
    }

    async fn get(&self, url: &str) -> Result<Value, CatalogError> {
        let mut request = self
            .http
            .request(Method::GET, url)
            .header("Accept", "application/json")
            .build()
            .map_err(|e| CatalogError::InvalidConfig(format!("bad catalog URL '{url}': {e}")))?;
        self.authorize(&mut request).await?;
        let response = self.send(REST_URI, request).await?;
        let status = response.status();
        let text = response.text().await.map_err(|e| unreachable(url, &e))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| {
                CatalogError::BadData(format!("catalog answered non-JSON for {url}: {e}"))
            });
        }
        Err(catalog_error(status, url, &text))
    }

    /// Posts a `CommitTableRequest` to the table's endpoint and returns the
    /// `CommitTableResponse`. Whether a failed commit may have been applied is part of the
    /// answer: only a request that never left, or that the catalog answered with a
    /// definite refusal, is known not to have changed the table.
    pub async fn commit_table(
        &self,
        namespace: &[String],
        table: &str,
        body: &Value,
    ) -> Result<Value, CommitFailure> {
        let url = self.table_url(namespace, table);
        let payload = serde_json::to_vec(body).map_err(|e| {
            CommitFailure::Refused(CatalogError::BadData(format!("commit request: {e}")))
        })?;
        let mut request = self
            .http
            .request(Method::POST, &url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(payload)
            .build()
            .map_err(|e| {
                CommitFailure::Refused(CatalogError::InvalidConfig(format!(
                    "bad catalog URL '{url}': {e}"
                )))
            })?;
        self.authorize(&mut request)
            .await
            .map_err(CommitFailure::Refused)?;
        let response = match self
            .execute(REST_URI, request)
            .await
            .map_err(CommitFailure::Refused)?
        {
            Ok(response) => response,
            // Not connected means not sent; any later failure may have reached the catalog.
            Err(e) if e.is_connect() || e.is_builder() => {
                return Err(CommitFailure::Refused(unreachable(&url, &e)));
            }
            Err(e) => {
                return Err(CommitFailure::Unknown(format!(
                    "the commit to {url} was sent but no answer came back: {e}"
                )));
            }
        };
        let status = response.status();
        let text = response.text().await.map_err(|e| {
            CommitFailure::Unknown(format!(
                "the catalog answered {status} to the commit at {url}, but the answer broke off: {e}"
            ))
        })?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| {
                CommitFailure::Unknown(format!(
                    "the catalog answered {status} to the commit at {url} with non-JSON: {e}"
                ))
            });
        }
        let error = catalog_error(status, &url, &text);
        Err(match status {
            StatusCode::CONFLICT => CommitFailure::Conflict(error.to_string()),
            // The REST spec's CommitStateUnknown: the catalog may have applied the commit.
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => {
                CommitFailure::Unknown(error.to_string())
            }
            _ => CommitFailure::Refused(error),
        })
    }

    fn table_url(&self, namespace: &[String], table: &str) -> String {
        format!(
            "{}/namespaces/{}/tables/{}",
            self.base(),
            encode(&namespace.join(NAMESPACE_SEPARATOR)),
            encode(table)
        )
    }

    async fn authorize(&self, request: &mut reqwest::Request) -> Result<(), CatalogError> {
        match &self.auth {
            RestAuth::None => {}
            RestAuth::Bearer(token) => {
                request
                    .headers_mut()
                    .insert("Authorization", bearer(token.expose())?);
            }
            RestAuth::OAuth2 { .. } => {
                let token = self.oauth2_token().await?;
                request
                    .headers_mut()
                    .insert("Authorization", bearer(&token)?);
            }
            RestAuth::SigV4 { .. } => self
                .signer
                .as_ref()
                .expect("signer for SigV4")
                .sign(request)?,
        }
        Ok(())
    }

    /// Sends one request once the outbound policy allows its URL (IP-literal hosts skip the
    /// client's resolver, so they are checked here). Redirects come back as answers, not followed.
    async fn send(
        &self,
        what: &str,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, CatalogError> {
        let url = request.url().to_string();
        self.execute(what, request)
            .await?
            .map_err(|e| unreachable(&url, &e))
    }

    /// `send`, with the transport error left whole (the outer error: refused before sending).
    async fn execute(
        &self,
        what: &str,
        request: reqwest::Request,
    ) -> Result<Result<reqwest::Response, reqwest::Error>, CatalogError> {
        self.policy.check(what, request.url()).await?;
        let url = request.url().to_string();
        let response = match self.http.execute(request).await {
            Ok(response) => response,
            Err(e) => {
                if let Some(refused) = refusal_in(&e, &format!("Iceberg REST request to {url}")) {
                    return Err(refused);
                }
                return Ok(Err(e));
            }
        };
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(remote_text)
                .unwrap_or_default();
            return Err(redirected(response.status(), &url, &location));
        }
        Ok(Ok(response))
    }

    /// A client-credentials token, fetched once and reused until shortly before it expires.
    async fn oauth2_token(&self) -> Result<String, CatalogError> {
        let RestAuth::OAuth2 {
            client_id,
            client_secret,
            token_uri,
            scope,
        } = &self.auth
        else {
            unreachable!("only called for OAuth2");
        };
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && Instant::now() < *expires
        {
            return Ok(token.clone());
        }
        let url = token_uri
            .clone()
            .unwrap_or_else(|| format!("{}/v1/oauth/tokens", self.uri));
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
        ];
        form.push(("scope", scope.as_deref().unwrap_or("catalog")));
        let request = self
            .http
            .post(&url)
            .form(&form)
            .build()
            .map_err(|e| CatalogError::InvalidConfig(format!("bad token URL '{url}': {e}")))?;
        let what = if token_uri.is_some() {
            TOKEN_URI
        } else {
            REST_URI
        };
        let response = self.send(what, request).await?;
        let status = response.status();
        let text = response.text().await.map_err(|e| unreachable(&url, &e))?;
        if !status.is_success() {
            return Err(CatalogError::AccessDenied(format!(
                "the OAuth2 token endpoint {url} refused client '{client_id}' ({status}): {}",
                remote_text(&text)
            )));
        }
        let token: TokenResponse = serde_json::from_str(&text)
            .map_err(|e| CatalogError::BadData(format!("OAuth2 token response from {url}: {e}")))?;
        // Refresh a minute early so a request never goes out with a token about to lapse.
        let lifetime =
            Duration::from_secs(token.expires_in.unwrap_or(3600).saturating_sub(60).max(1));
        *cached = Some((token.access_token.clone(), Instant::now() + lifetime));
        Ok(token.access_token)
    }
}

fn bearer(token: &str) -> Result<reqwest::header::HeaderValue, CatalogError> {
    reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        CatalogError::InvalidConfig(
            "the catalog token contains characters not allowed in a header".into(),
        )
    })
}

fn unreachable(url: &str, err: &reqwest::Error) -> CatalogError {
    if let Some(refused) = refusal_in(err, &format!("Iceberg REST request to {url}")) {
        return refused;
    }
    CatalogError::Unreachable(format!("Iceberg REST catalog unreachable at {url}: {err}"))
}

fn redirected(status: StatusCode, url: &str, location: &str) -> CatalogError {
    CatalogError::InvalidConfig(format!(
        "the Iceberg REST catalog answered {status} for {url}, redirecting to '{location}'; Lakeport does not follow redirects: set the catalog URL to where it should go"
    ))
}

/// The catalog's own error message (Iceberg `ErrorModel`), classified by status.
fn catalog_error(status: StatusCode, url: &str, body: &str) -> CatalogError {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.to_owned());
    let message = remote_text(&message);
    let text = format!("Iceberg REST catalog answered {status} for {url}: {message}");
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => CatalogError::AccessDenied(text),
        StatusCode::NOT_FOUND => CatalogError::NotFound(text),
        s if s.is_server_error() => CatalogError::Transient(text),
        _ => CatalogError::InvalidConfig(text),
    }
}

/// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_levels_and_arns_are_encoded() {
        assert_eq!(encode("a\u{1f}b"), "a%1Fb");
        assert_eq!(
            encode("arn:aws:s3tables:us-east-1:1:bucket/b"),
            "arn%3Aaws%3As3tables%3Aus-east-1%3A1%3Abucket%2Fb"
        );
    }
}
