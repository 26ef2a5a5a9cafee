//! What iceberg-rust may read an Iceberg table's files with: the storage properties (the
//! connection's keys, or a catalog's vended ones, filtered), and a FileIO confined to the
//! bucket the table lives in, read-only unless an export appends under the table's location.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use iceberg::io::{
    FileIO, FileIOBuilder, FileMetadata, FileRead, FileWrite, InputFile, OutputFile, Storage,
    StorageConfig, StorageFactory,
};
use iceberg::{Error, ErrorKind};
use iceberg_storage_opendal::OpenDalResolvingStorageFactory;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalogs::CatalogError;
use crate::catalogs::outbound::OutboundPolicy;
use crate::catalogs::params::S3Spec;

/// The REST spec's key for when a vended S3 session token expires.
pub const VENDED_EXPIRY: &str = "s3.session-token-expires-at-ms";
const ACCESS_KEY: &str = "s3.access-key-id";
const SECRET_KEY: &str = "s3.secret-access-key";
const SESSION_TOKEN: &str = "s3.session-token";
const ENDPOINT: &str = "s3.endpoint";
const REGION: &str = "s3.region";
const PATH_STYLE: &str = "s3.path-style-access";

/// The only vended keys used: credentials and where the bucket is. Everything else a
/// catalog may send (assume-role settings, anonymous access, the switches for the
/// server's own credentials) is dropped.
const VENDED_KEYS: [&str; 7] = [
    ACCESS_KEY,
    SECRET_KEY,
    SESSION_TOKEN,
    VENDED_EXPIRY,
    ENDPOINT,
    REGION,
    PATH_STYLE,
];

/// The FileIO properties for a table, and the setting its endpoint came from (to name in a refusal).
pub struct StorageProps {
    pub props: HashMap<String, String>,
    pub endpoint_from: &'static str,
}

/// The connection's own keys, overridden by vended credentials: the catalog's `config`,
/// then the `storage-credentials` entry whose prefix matches the table location best.
/// A vended endpoint is used only when the connection's own keys are not, so its keys
/// never go to a host the catalog chose. The settings that turn off the server's ambient
/// AWS credentials (instance metadata, config files, environment) are always forced on.
pub fn storage_props(
    own: Option<&S3Spec>,
    load: &Value,
    location: &str,
) -> Result<StorageProps, CatalogError> {
    let mut props = HashMap::new();
    let mut endpoint_from = "catalog.iceberg-rest.s3.endpoint";
    if let Some(s3) = own {
        if !valid_region(&s3.region) {
            return Err(CatalogError::InvalidConfig(format!(
                "catalog.iceberg-rest.s3.region '{}' is not an AWS region name",
                s3.region
            )));
        }
        props.insert(ACCESS_KEY.into(), s3.access_key.clone());
        props.insert(SECRET_KEY.into(), s3.secret_key.expose().to_owned());
        props.insert(REGION.into(), s3.region.clone());
        if let Some(token) = &s3.session_token {
            props.insert(SESSION_TOKEN.into(), token.expose().to_owned());
        }
        if let Some(endpoint) = &s3.endpoint {
            props.insert(ENDPOINT.into(), endpoint.clone());
            props.insert(PATH_STYLE.into(), "true".into());
        }
    }
    let mut vended = vended_props(load, location);
    let vends_keys = vended.contains_key(ACCESS_KEY) && vended.contains_key(SECRET_KEY);
    if vends_keys {
        props.remove(SESSION_TOKEN);
    } else {
        for key in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, VENDED_EXPIRY] {
            vended.remove(key);
        }
    }
    if vended.contains_key(ENDPOINT) {
        if own.is_some() && !vends_keys {
            vended.remove(ENDPOINT);
        } else {
            endpoint_from = "the s3.endpoint the catalog vended";
        }
    }
    // The region becomes part of the AWS host name when no endpoint is set.
    if vended.get(REGION).is_some_and(|r| !valid_region(r)) {
        vended.remove(REGION);
    }
    props.extend(vended);
    if !props.contains_key(ACCESS_KEY) {
        // With no keys, iceberg-rust's S3 would fall back to the server's web identity,
        // container or SSO credentials; reading unsigned never borrows them.
        props.insert("s3.allow-anonymous".into(), "true".into());
    }
    props.insert("s3.disable-ec2-metadata".into(), "true".into());
    props.insert("s3.disable-config-load".into(), "true".into());
    Ok(StorageProps {
        props,
        endpoint_from,
    })
}

fn vended_props(load: &Value, location: &str) -> HashMap<String, String> {
    let strings = |v: &Value| -> HashMap<String, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| VENDED_KEYS.contains(&k.as_str()))
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    };
    let mut props = strings(&load["config"]);
    let best = load["storage-credentials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["prefix"]
                .as_str()
                .is_some_and(|p| location.starts_with(p))
        })
        .max_by_key(|c| c["prefix"].as_str().map_or(0, str::len));
    if let Some(credential) = best {
        props.extend(strings(&credential["config"]));
    }
    props
}

fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 64
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The bucket of an `s3://bucket/...` location (also `s3a`, `s3n`), or why it is refused.
pub fn s3_bucket(location: &str) -> Result<String, String> {
    let url = url::Url::parse(location).map_err(|_| {
        format!("'{location}' is not a URL; Lakeport reads Iceberg tables only from S3 (s3://bucket/...)")
    })?;
    if !matches!(url.scheme(), "s3" | "s3a" | "s3n") {
        return Err(format!(
            "'{location}' is not in S3; Lakeport reads Iceberg tables only from S3 (s3://bucket/...), never from {}:// locations",
            url.scheme()
        ));
    }
    url.host_str()
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("'{location}' names no bucket"))
}

/// A FileIO for a table whose files live in `bucket`, after its endpoint passed the policy.
/// It writes only when `writable_under` names a location (`s3://bucket/table`), and then
/// only below it: an export's data files, manifests and manifest lists.
pub async fn file_io(
    storage: StorageProps,
    bucket: String,
    writable_under: Option<String>,
    policy: &OutboundPolicy,
) -> Result<FileIO, CatalogError> {
    // opendal's HTTP client cannot take our resolver, so the endpoint is checked here,
    // once per table load; the default (no endpoint) is AWS's public S3 host of the region.
    if let Some(endpoint) = storage.props.get(ENDPOINT) {
        policy.check_url(storage.endpoint_from, endpoint).await?;
    }
    let factory = ConfinedFactory {
        inner: OpenDalResolvingStorageFactory::new(),
        bucket,
        writable_under: writable_under.map(|l| format!("{}/", l.trim_end_matches('/'))),
    };
    Ok(FileIOBuilder::new(Arc::new(factory))
        .with_props(storage.props)
        .build())
}

/// Builds storages that read only `s3://<bucket>/…` and write nothing, or only below `writable_under`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ConfinedFactory {
    inner: OpenDalResolvingStorageFactory,
    bucket: String,
    #[serde(default)]
    writable_under: Option<String>,
}

#[typetag::serde(name = "lakeport-confined")]
impl StorageFactory for ConfinedFactory {
    fn build(&self, config: &StorageConfig) -> iceberg::Result<Arc<dyn Storage>> {
        Ok(Arc::new(ConfinedStorage {
            inner: Some(self.inner.build(config)?),
            bucket: self.bucket.clone(),
            writable_under: self.writable_under.clone(),
        }))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ConfinedStorage {
    /// Never serialised: a storage sent elsewhere must be rebuilt from its factory.
    #[serde(skip)]
    inner: Option<Arc<dyn Storage>>,
    bucket: String,
    /// `s3://bucket/table/` (with the slash) when writes below it are allowed.
    #[serde(default)]
    writable_under: Option<String>,
}

impl ConfinedStorage {
    /// Every path iceberg-rust reads — metadata, manifest lists, manifests, data and
    /// delete files — passes here, so a catalog cannot point it anywhere else.
    fn checked(&self, path: &str) -> iceberg::Result<&dyn Storage> {
        let bucket = s3_bucket(path).map_err(|why| Error::new(ErrorKind::DataInvalid, why))?;
        if bucket != self.bucket {
            return Err(Error::new(
                ErrorKind::DataInvalid,
                format!(
                    "'{path}' is outside the table's bucket '{}'; Lakeport reads a table's files only from the bucket its location names",
                    self.bucket
                ),
            ));
        }
        self.inner
            .as_deref()
            .ok_or_else(|| Error::new(ErrorKind::Unexpected, "storage used after deserialisation"))
    }

    /// A write is allowed only below the appended table's location, and never through `..`
    /// (S3 keeps it literally, but other readers would resolve it elsewhere).
    fn writable(&self, path: &str) -> iceberg::Result<&dyn Storage> {
        let Some(under) = &self.writable_under else {
            return Err(read_only());
        };
        let tail = path.strip_prefix(under.as_str()).ok_or_else(|| {
            Error::new(
                ErrorKind::DataInvalid,
                format!("'{path}' is outside the table's location '{under}'; Lakeport writes only below it"),
            )
        })?;
        if tail
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        {
            return Err(Error::new(
                ErrorKind::DataInvalid,
                format!("'{path}' is not a plain path below the table's location"),
            ));
        }
        self.checked(path)
    }
}

fn read_only() -> Error {
    Error::new(
        ErrorKind::FeatureUnsupported,
        "Lakeport reads this Iceberg table and never writes to it",
    )
}

#[async_trait]
#[typetag::serde(name = "lakeport-confined-storage")]
impl Storage for ConfinedStorage {
    async fn exists(&self, path: &str) -> iceberg::Result<bool> {
        self.checked(path)?.exists(path).await
    }

    async fn metadata(&self, path: &str) -> iceberg::Result<FileMetadata> {
        self.checked(path)?.metadata(path).await
    }

    async fn read(&self, path: &str) -> iceberg::Result<Bytes> {
        self.checked(path)?.read(path).await
    }

    async fn reader(&self, path: &str) -> iceberg::Result<Box<dyn FileRead>> {
        self.checked(path)?.reader(path).await
    }

    async fn write(&self, path: &str, bs: Bytes) -> iceberg::Result<()> {
        self.writable(path)?.write(path, bs).await
    }

    async fn writer(&self, path: &str) -> iceberg::Result<Box<dyn FileWrite>> {
        self.writable(path)?.writer(path).await
    }

    async fn delete(&self, _path: &str) -> iceberg::Result<()> {
        Err(read_only())
    }

    async fn delete_prefix(&self, _path: &str) -> iceberg::Result<()> {
        Err(read_only())
    }

    async fn delete_stream(&self, _paths: BoxStream<'static, String>) -> iceberg::Result<()> {
        Err(read_only())
    }

    fn new_input(&self, path: &str) -> iceberg::Result<InputFile> {
        self.checked(path)?;
        Ok(InputFile::new(Arc::new(self.clone()), path.to_owned()))
    }

    fn new_output(&self, path: &str) -> iceberg::Result<OutputFile> {
        self.writable(path)?;
        Ok(OutputFile::new(Arc::new(self.clone()), path.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn own() -> S3Spec {
        S3Spec {
            bucket: String::new(),
            prefix: String::new(),
            region: "us-east-1".into(),
            access_key: "OWN".into(),
            secret_key: "own-secret".into(),
            session_token: None,
            endpoint: Some("http://127.0.0.1:9000".into()),
            role: None,
        }
    }

    #[test]
    fn vended_properties_are_filtered_and_ambient_credentials_stay_off() {
        let load = json!({ "config": {
            "s3.access-key-id": "V", "s3.secret-access-key": "vs",
            "s3.disable-ec2-metadata": "false", "s3.disable-config-load": "false",
            "client.assume-role.arn": "arn:aws:iam::1:role/server", "s3.allow-anonymous": "true",
            "s3.endpoint": "http://vended:9000", "s3.region": "evil.example.com/x",
        }});
        let got = storage_props(Some(&own()), &load, "s3://b/t").unwrap();
        let p = &got.props;
        assert_eq!(p["s3.access-key-id"], "V");
        assert_eq!(p["s3.disable-ec2-metadata"], "true");
        assert_eq!(p["s3.disable-config-load"], "true");
        assert!(!p.contains_key("client.assume-role.arn"));
        assert!(!p.contains_key("s3.allow-anonymous"));
        assert_eq!(
            p["s3.region"], "us-east-1",
            "a region that is not one is dropped"
        );
        // Vended keys go to the vended endpoint, which the policy checks.
        assert_eq!(p["s3.endpoint"], "http://vended:9000");
        assert_eq!(got.endpoint_from, "the s3.endpoint the catalog vended");
    }

    #[test]
    fn the_connections_own_keys_never_go_to_a_vended_endpoint() {
        let load = json!({ "config": { "s3.endpoint": "http://elsewhere:9000" } });
        let got = storage_props(Some(&own()), &load, "s3://b/t").unwrap();
        assert_eq!(got.props["s3.access-key-id"], "OWN");
        assert_eq!(got.props["s3.endpoint"], "http://127.0.0.1:9000");
    }

    #[test]
    fn without_any_keys_reads_are_unsigned_not_the_servers() {
        let got = storage_props(None, &json!({}), "s3://b/t").unwrap();
        assert_eq!(got.props["s3.allow-anonymous"], "true");
        assert_eq!(got.props["s3.disable-ec2-metadata"], "true");
    }

    #[test]
    fn only_s3_locations_with_a_bucket_are_read() {
        assert_eq!(s3_bucket("s3://lake/warehouse/t").unwrap(), "lake");
        assert_eq!(s3_bucket("s3a://lake/x").unwrap(), "lake");
        assert!(s3_bucket("file:///etc/passwd").is_err());
        assert!(s3_bucket("/etc/passwd").is_err());
        assert!(s3_bucket("gs://lake/x").is_err());
        assert!(s3_bucket("s3:///x").is_err());
    }

    #[tokio::test]
    async fn the_confined_storage_refuses_other_places_and_writes() {
        let storage = ConfinedStorage {
            inner: Some(Arc::new(iceberg::io::MemoryStorage::new())),
            bucket: "lake".into(),
            writable_under: None,
        };
        for path in ["file:///etc/passwd", "s3://other/x.avro", "memory://lake/x"] {
            let err = storage.read(path).await.unwrap_err().to_string();
            assert!(err.contains(path), "{err}");
            assert!(storage.new_input(path).is_err());
        }
        assert!(storage.write("s3://lake/x", Bytes::new()).await.is_err());
        assert!(storage.new_output("s3://lake/x").is_err());
    }

    #[tokio::test]
    async fn an_append_writes_only_below_the_table_location() {
        let storage = ConfinedStorage {
            inner: Some(Arc::new(iceberg::io::MemoryStorage::new())),
            bucket: "lake".into(),
            writable_under: Some("s3://lake/wh/t/".into()),
        };
        assert!(storage.new_output("s3://lake/wh/t/data/a.parquet").is_ok());
        assert!(storage.new_output("s3://lake/wh/t/metadata/m.avro").is_ok());
        for path in [
            "s3://lake/wh/t2/data/a.parquet",
            "s3://lake/wh/t/../t2/a.parquet",
            "s3://lake/wh/t//a.parquet",
            "s3://other/wh/t/a.parquet",
            "s3://lake/wh/t/",
        ] {
            assert!(storage.new_output(path).is_err(), "{path}");
            assert!(storage.write(path, Bytes::new()).await.is_err(), "{path}");
        }
        assert!(
            storage
                .delete("s3://lake/wh/t/data/a.parquet")
                .await
                .is_err()
        );
    }
}
