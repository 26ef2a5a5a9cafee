//! The catalog providers a connection can be made to and the fields each asks for (seed 001's, plus the
//! local folder); which field is a secret follows [`is_secret_param`], the rule the server seals by.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::rules::is_secret_param;

/// Where the data lives and how Lakeport reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    S3,
    Glue,
    S3Tables,
    Rest,
    Local,
}

/// One input of the credentials form; `key` is the connection parameter it sets.
#[derive(Debug)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub required: bool,
    pub group: Group,
}

impl Field {
    /// Whether the value is sealed by the server and shown masked.
    pub fn secret(&self) -> bool {
        is_secret_param(self.key)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Details,
    Metastore,
    Storage,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Details => "Details",
            Group::Metastore => "Metastore — credentials for the catalog API",
            Group::Storage => "Storage — credentials for reading the data files",
        }
    }
}

const fn field(key: &'static str, label: &'static str, help: &'static str, group: Group) -> Field {
    Field {
        key,
        label,
        help,
        required: true,
        group,
    }
}

const fn optional(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    group: Group,
) -> Field {
    Field {
        key,
        label,
        help,
        required: false,
        group,
    }
}

/// The key the wizard uses for the connection's name (not a catalog parameter).
pub const CONNECTION_NAME: &str = "connectionName";
const REST: &str = "catalog.iceberg-rest.";

static S3_FIELDS: &[Field] = &[
    field(
        "catalog.s3.bucketName",
        "S3 Bucket",
        "Name of the S3 bucket containing your Parquet files.",
        Group::Details,
    ),
    optional(
        "catalog.s3.prefix",
        "Prefix",
        "Key prefix (folder path) pointing to the Parquet data, e.g. path/to/parquet/data/.",
        Group::Details,
    ),
    field(
        "catalog.s3.region",
        "Region",
        "AWS region where the bucket is located.",
        Group::Details,
    ),
    field(
        "catalog.s3.accessKey",
        "Access Key",
        "AWS access key ID.",
        Group::Details,
    ),
    field(
        "catalog.s3.secretKey",
        "Secret Key",
        "AWS secret access key.",
        Group::Details,
    ),
];

/// Glue and S3 Tables ask for the same fields but for what names the warehouse.
fn aws_catalog_fields(
    service: &'static str,
    warehouse_label: &'static str,
    warehouse_help: &'static str,
) -> Vec<Field> {
    let (api_key_help, api_secret_help, region_help, endpoint_help) = match service {
        "Glue" => (
            "AWS access key ID for Glue catalog API access.",
            "AWS secret access key for Glue catalog API access.",
            "AWS region where your Glue catalog is located, e.g. us-east-1.",
            "The Glue Iceberg REST endpoint; filled in from the region.",
        ),
        _ => (
            "AWS access key ID for S3 Tables catalog API access.",
            "AWS secret access key for S3 Tables catalog API access.",
            "AWS region where the S3 Tables bucket is located.",
            "The S3 Tables Iceberg REST endpoint; filled in from the region.",
        ),
    };
    let mut fields = vec![
        field(
            CONNECTION_NAME,
            "Catalog Connection Name",
            "A unique name to identify this connection.",
            Group::Details,
        ),
        field(
            "catalog.iceberg-rest.warehouse",
            warehouse_label,
            warehouse_help,
            Group::Metastore,
        ),
        field(
            "catalog.iceberg-rest.rest.access-key-id",
            "Access Key",
            api_key_help,
            Group::Metastore,
        ),
        field(
            "catalog.iceberg-rest.rest.secret-access-key",
            "Secret Key",
            api_secret_help,
            Group::Metastore,
        ),
        field(
            "catalog.iceberg-rest.rest.signing-region",
            "Region",
            region_help,
            Group::Metastore,
        ),
        field(
            "catalog.iceberg-rest.restUri",
            "REST endpoint",
            endpoint_help,
            Group::Metastore,
        ),
    ];
    fields.extend(storage_fields());
    fields
}

/// Storage keys for Iceberg catalogs: optional, as catalogs may vend them.
fn storage_fields() -> [Field; 3] {
    [
        optional(
            "catalog.iceberg-rest.s3.access-key-id",
            "Access Key",
            "AWS access key ID for S3 data access. Leave empty to use the credentials the catalog vends.",
            Group::Storage,
        ),
        optional(
            "catalog.iceberg-rest.s3.secret-access-key",
            "Secret Key",
            "AWS secret access key for S3 data access.",
            Group::Storage,
        ),
        optional(
            "catalog.iceberg-rest.s3.region",
            "Region",
            "AWS region where the S3 data files are stored.",
            Group::Storage,
        ),
    ]
}

static GLUE_FIELDS: LazyLock<Vec<Field>> = LazyLock::new(|| {
    aws_catalog_fields(
        "Glue",
        "Warehouse",
        "Your AWS account ID — used as the Glue warehouse identifier.",
    )
});

static S3_TABLES_FIELDS: LazyLock<Vec<Field>> = LazyLock::new(|| {
    aws_catalog_fields(
        "S3 Tables",
        "Table Bucket ARN",
        "Full ARN of the S3 Tables bucket, e.g. arn:aws:s3tables:<region>:<account-id>:bucket/<bucket-name>.",
    )
});

static REST_FIELDS: LazyLock<Vec<Field>> = LazyLock::new(|| {
    let mut fields = vec![
        field(
            CONNECTION_NAME,
            "Catalog Connection Name",
            "A unique name to identify this connection.",
            Group::Details,
        ),
        field(
            "catalog.iceberg-rest.restUri",
            "REST URI",
            "The catalog's base URI, e.g. https://catalog.example.com/api/catalog.",
            Group::Metastore,
        ),
        optional(
            "catalog.iceberg-rest.warehouse",
            "Warehouse",
            "The warehouse to open, if the catalog serves several.",
            Group::Metastore,
        ),
        optional(
            "catalog.iceberg-rest.token",
            "Bearer token",
            "A static token for the catalog.",
            Group::Metastore,
        ),
        optional(
            "catalog.iceberg-rest.credential",
            "OAuth2 client credential",
            "client_id:client_secret, exchanged for tokens.",
            Group::Metastore,
        ),
    ];
    fields.extend(storage_fields());
    fields.push(optional(
        "catalog.iceberg-rest.s3.endpoint",
        "S3 endpoint",
        "For S3-compatible storage other than AWS.",
        Group::Storage,
    ));
    fields
});

static LOCAL_FIELDS: &[Field] = &[field(
    "catalog.local.path",
    "Folder",
    "A folder on the Lakeport server, inside the folders it is allowed to read.",
    Group::Details,
)];

impl Provider {
    pub const ALL: [Provider; 5] = [
        Provider::S3,
        Provider::Glue,
        Provider::S3Tables,
        Provider::Rest,
        Provider::Local,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Provider::S3 => "s3",
            Provider::Glue => "glue",
            Provider::S3Tables => "s3tables",
            Provider::Rest => "rest",
            Provider::Local => "local",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::S3 => "S3 Data Lake",
            Provider::Glue => "Iceberg REST — AWS Glue",
            Provider::S3Tables => "Iceberg REST — AWS S3 Tables",
            Provider::Rest => "Iceberg REST — other catalog",
            Provider::Local => "Local folder",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Provider::S3 => {
                "Raw Parquet files stored directly in an S3 bucket — no catalog service required."
            }
            Provider::Glue => {
                "Iceberg tables managed by AWS Glue, through the Iceberg REST protocol with SigV4."
            }
            Provider::S3Tables => {
                "Iceberg tables in an AWS S3 Tables bucket, through the Iceberg REST protocol."
            }
            Provider::Rest => {
                "Any Iceberg REST catalog, with a bearer token or OAuth2 client credentials."
            }
            Provider::Local => "Parquet files in a folder on the Lakeport server.",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Provider::S3 => S3_FIELDS,
            Provider::Glue => &GLUE_FIELDS,
            Provider::S3Tables => &S3_TABLES_FIELDS,
            Provider::Rest => &REST_FIELDS,
            Provider::Local => LOCAL_FIELDS,
        }
    }

    pub fn catalog_type(self) -> &'static str {
        match self {
            Provider::S3 => "s3",
            Provider::Local => "local",
            _ => "iceberg-rest",
        }
    }

    pub fn is_iceberg(self) -> bool {
        self.catalog_type() == "iceberg-rest"
    }

    /// The sync task type tables from this provider are configured under.
    pub fn task_type(self) -> &'static str {
        if self.is_iceberg() {
            "IcebergIngestionTask"
        } else {
            "ExternalTableSyncTask"
        }
    }

    /// The AWS service the catalog requests are signed for, if any.
    fn signing_name(self) -> Option<&'static str> {
        match self {
            Provider::Glue => Some("glue"),
            Provider::S3Tables => Some("s3tables"),
            _ => None,
        }
    }

    /// The AWS endpoint for a region, prefilled into the REST endpoint field.
    pub fn aws_endpoint(self, region: &str) -> Option<String> {
        let service = self.signing_name()?;
        (!region.is_empty()).then(|| format!("https://{service}.{region}.amazonaws.com/iceberg"))
    }

    /// Which provider a saved connection's parameters came from.
    pub fn of_params(params: &BTreeMap<String, String>) -> Option<Provider> {
        match params.get("catalogType").map(String::as_str)? {
            "s3" => Some(Provider::S3),
            "local" => Some(Provider::Local),
            "iceberg-rest" => Some(
                match params
                    .get(&format!("{REST}rest.signing-name"))
                    .map(String::as_str)
                {
                    Some("glue") => Provider::Glue,
                    Some("s3tables") => Provider::S3Tables,
                    _ => Provider::Rest,
                },
            ),
            _ => None,
        }
    }

    /// The connection parameters the API takes: the form's values (blank ones
    /// left out), the catalog type and, for AWS catalogs, the signing name.
    pub fn connection_params(self, values: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut params: BTreeMap<String, String> = values
            .iter()
            .filter(|(k, v)| k.as_str() != CONNECTION_NAME && !v.trim().is_empty())
            .filter(|(k, _)| self.fields().iter().any(|f| f.key == k.as_str()))
            .map(|(k, v)| (k.clone(), v.trim().to_owned()))
            .collect();
        params.insert("catalogType".into(), self.catalog_type().into());
        if let Some(name) = self.signing_name() {
            params.insert(format!("{REST}rest.signing-name"), name.into());
        }
        params
    }

    /// Each required field left blank, with its message.
    pub fn missing(self, values: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        self.fields()
            .iter()
            .filter(|f| f.required && values.get(f.key).is_none_or(|v| v.trim().is_empty()))
            .map(|f| (f.key.to_owned(), format!("{} is required", f.label)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_carry_type_and_signing_name_and_drop_blanks() {
        let values = BTreeMap::from([
            (CONNECTION_NAME.to_owned(), "prod glue".to_owned()),
            (
                "catalog.iceberg-rest.warehouse".to_owned(),
                "123456789012".to_owned(),
            ),
            (
                "catalog.iceberg-rest.s3.access-key-id".to_owned(),
                "  ".to_owned(),
            ),
            (
                "catalog.s3.bucketName".to_owned(),
                "not-a-glue-field".to_owned(),
            ),
        ]);
        let params = Provider::Glue.connection_params(&values);
        assert_eq!(params["catalogType"], "iceberg-rest");
        assert_eq!(params["catalog.iceberg-rest.rest.signing-name"], "glue");
        assert_eq!(params["catalog.iceberg-rest.warehouse"], "123456789012");
        assert!(!params.contains_key(CONNECTION_NAME));
        assert!(!params.contains_key("catalog.iceberg-rest.s3.access-key-id"));
        assert!(!params.contains_key("catalog.s3.bucketName"));
        assert_eq!(Provider::of_params(&params), Some(Provider::Glue));
    }

    #[test]
    fn every_secret_field_is_one_the_server_seals() {
        let secrets: Vec<&str> = Provider::ALL
            .iter()
            .flat_map(|p| p.fields())
            .filter(|f| f.secret())
            .map(|f| f.key)
            .collect();
        assert!(secrets.contains(&"catalog.s3.secretKey"));
        assert!(secrets.contains(&"catalog.iceberg-rest.credential"));
        assert!(!secrets.contains(&"catalog.s3.accessKey"));
    }

    #[test]
    fn required_fields_are_named_when_missing() {
        let missing = Provider::S3.missing(&BTreeMap::new());
        assert_eq!(missing["catalog.s3.bucketName"], "S3 Bucket is required");
        assert!(!missing.contains_key("catalog.s3.prefix"));
        assert_eq!(
            Provider::S3Tables.aws_endpoint("eu-west-1").as_deref(),
            Some("https://s3tables.eu-west-1.amazonaws.com/iceberg")
        );
    }
}
